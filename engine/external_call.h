#pragma once

// Calling a native plugin's function (the C ABI of plugins/kijun_plugin.h),
// the one rule both executors follow: the interpreter calls CallExternal;
// compiled code makes the same checks and the same call itself, then hands
// what the function returned to ExternalResult through the JIT's runtime, so
// the two give the same value and the same messages.

#include <string>
#include <string_view>
#include <vector>

#include "engine/ir.h"
#include "engine/value.h"
#include "plugins/kijun_plugin.h"

namespace kijun::engine {

// The symbol compiled code calls the function `name` by: "kijun_fn_" and the
// name with every byte that is not an ASCII letter or digit written as "_XX"
// (two hex digits). Stable across processes and distinct for distinct names.
std::string ExternalSymbol(std::string_view name);

// The value kind of `f`'s result.
ir::ValueKind ExternalValueKind(const ir::External& f);

// Calls `f` on `args` (of the kinds the checker allowed). When any argument
// is not known exactly the result is unknown and `f` is not called.
// Otherwise the result is ExternalResult's reading of the call. `ja` and `en`
// are set when the call gives the form an error message, and left empty
// otherwise.
Value CallExternal(const ir::External& f, const std::vector<Value>& args, std::string& ja,
                   std::string& en);

// What a call of the function `name` returned, as a value of `kind`:
// KIJUN_PLUGIN_OK gives the result, KIJUN_PLUGIN_NO_RESULT unknown without a
// message, KIJUN_PLUGIN_DOMAIN_ERROR unknown with the plugin's message. A
// broken promise (another status, a result that is not finite, a fraction
// for an integer, a truth other than 0 or 1) is unknown with an error
// message too, never a NaN in the judgment. Messages are cut at the buffer
// size and made valid UTF-8.
Value ExternalResult(std::string_view name, ir::ExternalKind kind, int32_t status,
                     const kijun_plugin_value& result, const kijun_plugin_message& message,
                     std::string& ja, std::string& en);

}  // namespace kijun::engine
