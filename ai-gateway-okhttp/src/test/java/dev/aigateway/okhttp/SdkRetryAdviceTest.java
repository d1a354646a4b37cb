package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatRequest;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.TokenLimit;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The advice for Stainless SDKs, outside the gateway's interceptor; no backend is reached. (A
 * rejection whose wait the SDK honours passing unchanged is tested with the real SDK, in
 * ai-gateway-openai-java.)
 */
class SdkRetryAdviceTest {

  private static final String URL = "http://127.0.0.1:9/v1/chat/completions"; // never dialled

  private static OkHttpClient advised(AiGateway gateway) {
    OkHttpClient.Builder builder = OkHttpAiGateway.wrap(new OkHttpClient(), gateway).newBuilder();
    builder.interceptors().add(0, new SdkRetryAdvice());
    return builder.build();
  }

  private static Response call(OkHttpClient client) throws Exception {
    return client.newCall(post(URL, chatRequest("gpt-4o", "Hi", "\"max_tokens\":50"))).execute();
  }

  @Test
  void aRejectionTheSdkCannotWaitOutIsMarkedNotRetryable() throws Exception {
    OkHttpClient client =
        advised(
            AiGateway.builder()
                .tokenLimit(TokenLimit.perConsumer().quota(20, QuotaPeriod.MONTHLY))
                .build());

    try (Response spent = call(client)) {
      assertThat(spent.code()).isEqualTo(403);
      assertThat(spent.header("x-should-retry")).isEqualTo("false");
    }
  }

  @Test
  void aThrownRejectionBecomesItsResponse() throws Exception {
    OkHttpClient client =
        advised(
            AiGateway.builder()
                .throwOnRejection(true)
                .tokenLimit(TokenLimit.perConsumer().quota(20, QuotaPeriod.MONTHLY))
                .build());

    try (Response spent = call(client)) {
      assertThat(spent.code()).isEqualTo(403);
      assertThat(spent.header("x-ai-gateway-rejected")).isEqualTo("token-quota");
      assertThat(spent.header("x-should-retry")).isEqualTo("false");
      assertThat(spent.body().string()).contains("\"code\":\"insufficient_quota\"");
      assertThat(spent.body().contentType().subtype()).isEqualTo("json");
    }
  }
}
