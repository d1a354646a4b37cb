package dev.aigateway.examples.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.UsageSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs each SDK example and checks what it printed against what the gateway saw. */
class SdkExamplesTest {

  @Test
  void openAiJavaAnswersStreamsAndIsRefusedAtOnce() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SdkOutcome outcome =
        OpenAiJavaExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertAnsweredStreamedAndRefused(
        outcome.answer(), outcome.streamedAnswer(), outcome.refused(), outcome.events());
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("refused:  RateLimitException");
  }

  @Test
  void anthropicJavaAnswersStreamsAndIsRefusedAtOnce() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SdkOutcome outcome =
        AnthropicJavaExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertAnsweredStreamedAndRefused(
        outcome.answer(), outcome.streamedAnswer(), outcome.refused(), outcome.events());
    assertThat(outcome.streamedAnswer()).isEqualTo(outcome.answer());
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("refused:  RateLimitException");
  }

  @Test
  void langChain4jAnswersStreamsAndIsRefusedAtOnce() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SdkOutcome outcome =
        LangChain4jExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertAnsweredStreamedAndRefused(
        outcome.answer(), outcome.streamedAnswer(), outcome.refused(), outcome.events());
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains("refused:  GatewayRejectionException");
  }

  @Test
  void springAiAnswersStreamsAndIsRefusedAtOnce() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SdkOutcome outcome = SpringAiExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertAnsweredStreamedAndRefused(
        outcome.answer(), outcome.streamedAnswer(), outcome.refused(), outcome.events());
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("refused:  RateLimitException");
  }

  @Test
  void azureOpenAiAnswersStreamsAndIsRefusedAtOnce() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SdkOutcome outcome =
        AzureOpenAiExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertAnsweredStreamedAndRefused(
        outcome.answer(), outcome.streamedAnswer(), outcome.refused(), outcome.events());
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains("refused:  HttpResponseException 429 (token-rate-limit)");
  }

  private static void assertAnsweredStreamedAndRefused(
      String answer, String streamed, boolean refused, List<GatewayEvent> events) {
    assertThat(answer).isNotBlank();
    assertThat(streamed).isNotBlank();
    assertThat(refused).isTrue();
    // an answered call, a streamed one (usage reported by the server), one refusal and no retry
    assertThat(events).hasSize(3);
    assertThat(events.get(0).outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(events.get(0).stream()).as("the first call is not streamed").isFalse();
    assertThat(events.get(1).stream()).isTrue();
    assertThat(events.get(1).usage().outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(events.get(2).outcome()).isEqualTo(CallOutcome.REJECTED);
    // the refused call is a chat call like the first, not a stream: had the limit let it through,
    // a non-streamed SDK call sent as a stream could not have read its answer
    assertThat(events.get(2).stream()).as("the refused call is not streamed").isFalse();
  }
}
