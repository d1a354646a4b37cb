package dev.aigateway.spring;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.core.adapter.Rejection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * Sits outside the gateway's interceptor on the OkHttp clients of Spring AI's OpenAI models, which
 * run the official openai-java SDK. That SDK waits a 429's {@code retry-after-ms}/{@code
 * Retry-After} when it is at most 60 s and otherwise retries on its own short backoff, unless the
 * response says {@code x-should-retry: false}. So a gateway rejection whose wait the SDK honours
 * passes unchanged (the SDK waits it out and tries again); one it would retry blindly (a longer
 * wait, a spent quota, a call that can never fit) gets {@code x-should-retry: false}, and the SDK
 * throws its typed error at once. A rejection the gateway threw ({@code throw-on-rejection}) is
 * turned back into its response, which the SDK would otherwise retry as a network error.
 */
final class SdkRejectionAdvice implements Interceptor {

  /** The longest wait the openai-java SDK honours before falling back to its own backoff. */
  static final Duration SDK_LONGEST_HONOURED_WAIT = Duration.ofSeconds(60);

  private static final JsonFactory JSON = new JsonFactory();
  private static final MediaType APPLICATION_JSON = MediaType.get("application/json");

  @Override
  public Response intercept(Chain chain) throws IOException {
    Response response;
    try {
      response = chain.proceed(chain.request());
    } catch (GatewayRejectedException rejected) {
      response = asResponse(chain, rejected);
    }
    if (response.header(Rejection.REJECTED_HEADER) == null
        || response.header(Rejection.SHOULD_RETRY) != null) {
      return response;
    }
    Duration wait = declaredWait(response);
    if (wait != null && wait.compareTo(SDK_LONGEST_HONOURED_WAIT) <= 0) {
      return response;
    }
    return response.newBuilder().header(Rejection.SHOULD_RETRY, "false").build();
  }

  private static @Nullable Duration declaredWait(Response response) {
    try {
      String millis = response.header(Rejection.RETRY_AFTER_MS);
      if (millis != null) {
        return Duration.ofMillis(Long.parseLong(millis.trim()));
      }
      String seconds = response.header(Rejection.RETRY_AFTER);
      if (seconds != null) {
        return Duration.ofSeconds(Long.parseLong(seconds.trim()));
      }
    } catch (NumberFormatException notANumber) {
      return null;
    }
    return null;
  }

  /** The response a gateway configured not to throw would have answered. */
  private static Response asResponse(Chain chain, GatewayRejectedException rejected) {
    RejectionReason reason = rejected.reason();
    Response.Builder builder =
        new Response.Builder()
            .request(chain.request())
            .protocol(Protocol.HTTP_1_1)
            .code(rejected.status())
            .message(reason.headerValue())
            .header(Rejection.REJECTED_HEADER, reason.headerValue())
            .body(ResponseBody.create(errorBody(rejected.getMessage(), reason), APPLICATION_JSON));
    Duration wait = rejected.retryAfter();
    if (wait != null) {
      long millis = Math.max(0, wait.toMillis());
      builder.header(Rejection.RETRY_AFTER, Long.toString((millis + 999) / 1000));
      builder.header(Rejection.RETRY_AFTER_MS, Long.toString(millis));
    }
    return builder.build();
  }

  private static byte[] errorBody(@Nullable String message, RejectionReason reason) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeObjectFieldStart("error");
      json.writeStringField("message", message == null ? reason.headerValue() : message);
      json.writeStringField("type", reason.headerValue());
      json.writeNullField("param");
      json.writeStringField("code", reason.headerValue());
      json.writeEndObject();
      json.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a rejection body", e);
    }
    return out.toByteArray();
  }
}
