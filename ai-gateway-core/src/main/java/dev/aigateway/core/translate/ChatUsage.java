package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.wire.Json;

/**
 * A backend's reported usage in OpenAI's terms: prompt tokens include every input token the backend
 * counted (its cache reads and writes too), completion tokens include reasoning, the cached tokens
 * are the prompt tokens read from the backend's cache. Written as OpenAI's {@code usage} object, it
 * is what the gateway's own usage reader then takes as the call's reported usage.
 */
record ChatUsage(long prompt, long completion, long total, long cached, long reasoning) {

  static ChatUsage of(long prompt, long completion, long total, long cached, long reasoning) {
    return new ChatUsage(
        prompt,
        completion,
        total > 0 ? total : prompt + completion,
        Math.min(cached, prompt),
        Math.min(reasoning, completion));
  }

  ObjectNode toJson() {
    ObjectNode usage = Json.MAPPER.createObjectNode();
    usage.put("prompt_tokens", prompt);
    usage.put("completion_tokens", completion);
    usage.put("total_tokens", total);
    usage.putObject("prompt_tokens_details").put("cached_tokens", cached);
    usage.putObject("completion_tokens_details").put("reasoning_tokens", reasoning);
    return usage;
  }
}
