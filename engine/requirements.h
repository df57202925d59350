#pragma once

// Whether a form asks an item, and what the engine says when a required
// item asked is not answered or an item not asked is. One definition for
// the interpreter's judgment and the batch path that writes results
// straight from the native verdict (engine/batch/), so both word the same.

#include <optional>
#include <string>

#include "engine/ir.h"
#include "engine/judgment.h"

namespace kijun::engine {

// True when the item's section is on the form's variant ("" = any).
bool SectionAsked(const ir::Item& item, const std::string& variant);

// The message for `item`, asked as `asked` on a form of `variant`, answered
// as `state`; nothing when there is nothing to say.
std::optional<Message> RequirementMessage(const ir::Item& item, const std::string& variant,
                                          Truth asked, AnswerState state);

}  // namespace kijun::engine
