package dev.aigateway.core.translate;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import java.io.IOException;

/**
 * A backend's reported usage in OpenAI's terms: prompt tokens include every input token the backend
 * counted (its cache reads and writes too), completion tokens include reasoning, the cached tokens
 * are the prompt tokens read from the backend's cache, the cache-write tokens those written to it.
 * Written as OpenAI's {@code usage} object, it is what the gateway's own usage reader then takes as
 * the call's reported usage. Cache writes, which OpenAI's chat usage has no field for, go in {@code
 * prompt_tokens_details.cache_write_tokens} (the name OpenRouter gives them in the same object),
 * and only when there are any, so an answer without them has exactly OpenAI's shape.
 */
record ChatUsage(
    long prompt, long completion, long total, long cached, long reasoning, long cacheWrite) {

  static ChatUsage of(
      long prompt, long completion, long total, long cached, long reasoning, long cacheWrite) {
    long read = Math.min(cached, prompt);
    return new ChatUsage(
        prompt,
        completion,
        total > 0 ? total : TokenCounts.sum(prompt, completion),
        read,
        Math.min(reasoning, completion),
        Math.min(cacheWrite, prompt - read));
  }

  /** The same counts in the gateway's terms. */
  Usage gatewayUsage() {
    return new Usage(prompt, completion, total, cached, reasoning, cacheWrite, 0, 0, 0);
  }

  /** Writes the {@code usage} object. */
  void write(JsonGenerator json) throws IOException {
    json.writeStartObject();
    json.writeNumberField("prompt_tokens", prompt);
    json.writeNumberField("completion_tokens", completion);
    json.writeNumberField("total_tokens", total);
    json.writeObjectFieldStart("prompt_tokens_details");
    json.writeNumberField("cached_tokens", cached);
    if (cacheWrite > 0) {
      json.writeNumberField("cache_write_tokens", cacheWrite);
    }
    json.writeEndObject();
    json.writeObjectFieldStart("completion_tokens_details");
    json.writeNumberField("reasoning_tokens", reasoning);
    json.writeEndObject();
    json.writeEndObject();
  }
}
