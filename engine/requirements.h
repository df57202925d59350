#pragma once

// Whether a form asks an item, and what the engine says when a required
// item asked is not answered or an item not asked is. One definition for
// the interpreter's judgment and the batch path that writes results
// straight from the native verdict (engine/batch/), so both word the same.

#include <string>

#include "engine/ir.h"
#include "engine/judgment.h"

namespace kijun::engine {

// True when the item's section is on the form's variant ("" = any).
bool SectionAsked(const ir::Item& item, const std::string& variant);

enum class Requirement : uint8_t {
  kMet,
  kMissing,   // required, asked and not answered: an error
  kNotAsked,  // answered though not asked: a warning
};

// Whether `item`, asked as `asked` on a form of `variant` and answered as
// `state`, meets its requirement.
Requirement RequirementOf(const ir::Item& item, const std::string& variant, Truth asked,
                          AnswerState state);

// The message for an unmet requirement (not kMet).
Message RequirementMessage(const ir::Item& item, Requirement requirement);

}  // namespace kijun::engine
