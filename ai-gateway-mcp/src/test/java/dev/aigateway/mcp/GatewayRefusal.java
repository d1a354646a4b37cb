package dev.aigateway.mcp;

import dev.aigateway.core.pipeline.Rejection;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import org.jspecify.annotations.Nullable;

/**
 * An interceptor that refuses some requests the way the gateway refuses an LLM call, for tests of
 * how an MCP client sees a refusal it did not cause itself: a {@code 429} with the rejection header
 * ({@code rate_limited}).
 */
final class GatewayRefusal {

  private GatewayRefusal() {}

  /**
   * Refuses each request whose body contains {@code marker} with a {@code 429}, a {@code
   * Retry-After} of {@code retryAfterSeconds} unless null, and {@code json} as its body; lets the
   * others through.
   */
  static Interceptor of(String marker, @Nullable String retryAfterSeconds, String json) {
    return chain -> {
      Buffer body = new Buffer();
      if (chain.request().body() != null) {
        chain.request().body().writeTo(body);
      }
      if (!body.readUtf8().contains(marker)) {
        return chain.proceed(chain.request());
      }
      Response.Builder refusal =
          new Response.Builder()
              .request(chain.request())
              .protocol(Protocol.HTTP_1_1)
              .code(429)
              .message("Too Many Requests")
              .header(Rejection.REJECTED_HEADER, "rate_limited")
              .body(ResponseBody.create(json, MediaType.get("application/json")));
      if (retryAfterSeconds != null) {
        refusal.header(Rejection.RETRY_AFTER, retryAfterSeconds);
      }
      return refusal.build();
    };
  }
}
