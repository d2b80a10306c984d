// The agent's async context on Node.js 20 without async_hooks: V8 copies a
// context's "continuation preserved embedder data" into every promise
// reaction when the reaction is created and restores it while the reaction
// runs, at no cost per promise. Node.js 22 builds AsyncLocalStorage on the
// same slot (AsyncContextFrame); Node.js 20 leaves it unused, so the agent
// owns it. get() returns the slot, set(v) replaces it, swap(v) does both (one
// call where the agent enters a context and keeps the one to restore).
#include <node.h>

namespace {

void GetSlot(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.GetIsolate()->GetCurrentContext()->GetContinuationPreservedEmbedderData());
}

void SetSlot(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetIsolate()->GetCurrentContext()->SetContinuationPreservedEmbedderData(info[0]);
}

void SwapSlot(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Context> context = info.GetIsolate()->GetCurrentContext();
  info.GetReturnValue().Set(context->GetContinuationPreservedEmbedderData());
  context->SetContinuationPreservedEmbedderData(info[0]);
}

}  // namespace

NODE_MODULE_INIT() {
  NODE_SET_METHOD(exports, "get", GetSlot);
  NODE_SET_METHOD(exports, "set", SetSlot);
  NODE_SET_METHOD(exports, "swap", SwapSlot);
}
