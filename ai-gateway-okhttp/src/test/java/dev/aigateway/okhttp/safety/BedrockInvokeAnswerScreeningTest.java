package dev.aigateway.okhttp.safety;

import static dev.aigateway.okhttp.safety.ScreenedBackend.eventStream;
import static dev.aigateway.okhttp.safety.ScreenedBackend.forbiddenInWindowsOfTen;
import static dev.aigateway.okhttp.safety.ScreenedBackend.messages;
import static dev.aigateway.okhttp.safety.ScreenedBackend.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.SafetyOutcome;
import dev.aigateway.core.wire.EventStreamMessage;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Content safety's answer screen on Bedrock InvokeModel and InvokeModelWithResponseStream for the
 * models other than Claude whose bodies it reads (Titan text, Nova, Llama, Mistral, Cohere, AI21,
 * DeepSeek), in the answer shapes of AWS's Bedrock model parameter pages, end to end: OkHttp
 * through the gateway to a MockWebServer serving the model's JSON answer, or real AWS event stream
 * frames whose {@code chunk}s carry the model's JSON base64-encoded.
 */
class BedrockInvokeAnswerScreeningTest {

  @RegisterExtension final ScreenedBackend screened = new ScreenedBackend();
  private final MockWebServer backend = screened.backend;

  private OkHttpClient governed() {
    return screened.governed(forbiddenInWindowsOfTen());
  }

  private Response post(String path, String body) throws IOException {
    return screened.post(governed(), path, body);
  }

  /** A chunk message: the model's JSON, base64-encoded in {@code bytes}, as Bedrock frames it. */
  private static byte[] chunk(String modelJson) {
    String bytes = Base64.getEncoder().encodeToString(utf8(modelJson));
    return EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + bytes + "\",\"p\":\"ab\"}"))
        .encode();
  }

  private static String json(String text) {
    return Json.MAPPER.getNodeFactory().textNode(text).toString();
  }

  /**
   * Each model: its model ID, a prompt body of its shape, its stream chunk for a piece of text
   * ({@code %s} the JSON string), and its JSON answer holding a text.
   */
  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of(
            "amazon.titan-text-express-v1",
            "{\"inputText\":\"Say it\"}",
            "{\"outputText\":%s,\"index\":0,\"totalOutputTextTokenCount\":1,"
                + "\"completionReason\":null,\"inputTextTokenCount\":3}",
            "{\"inputTextTokenCount\":3,\"results\":[{\"tokenCount\":4,\"outputText\":%s,"
                + "\"completionReason\":\"FINISH\"}]}"),
        Arguments.of(
            "us.amazon.nova-lite-v1:0",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Say it\"}]}]}",
            "{\"contentBlockDelta\":{\"delta\":{\"text\":%s},\"contentBlockIndex\":0}}",
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":%s}]}},"
                + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":3,\"outputTokens\":4,"
                + "\"totalTokens\":7}}"),
        Arguments.of(
            "meta.llama3-70b-instruct-v1:0",
            "{\"prompt\":\"Say it\",\"max_gen_len\":50}",
            "{\"generation\":%s,\"prompt_token_count\":null,\"generation_token_count\":1,"
                + "\"stop_reason\":null}",
            "{\"generation\":%s,\"prompt_token_count\":3,\"generation_token_count\":4,"
                + "\"stop_reason\":\"stop\"}"),
        Arguments.of(
            "mistral.mistral-7b-instruct-v0:2",
            "{\"prompt\":\"<s>[INST] Say it [/INST]\",\"max_tokens\":50}",
            "{\"outputs\":[{\"text\":%s,\"stop_reason\":null}]}",
            "{\"outputs\":[{\"text\":%s,\"stop_reason\":\"stop\"}]}"),
        Arguments.of(
            "mistral.mistral-large-2407-v1:0",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Say it\"}],\"max_tokens\":50}",
            "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":%s},"
                + "\"stop_reason\":null}]}",
            "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":%s},"
                + "\"stop_reason\":\"stop\"}]}"),
        Arguments.of(
            "cohere.command-text-v14",
            "{\"prompt\":\"Say it\",\"max_tokens\":50}",
            "{\"text\":%s,\"is_finished\":false}",
            "{\"generations\":[{\"finish_reason\":\"COMPLETE\",\"id\":\"g1\",\"text\":%s}],"
                + "\"id\":\"r1\",\"prompt\":\"Say it\"}"),
        Arguments.of(
            // Cohere Command's stream as AWS's own example reads it: each chunk is a generations
            // list ({"generations":[{"text":...}]}), index given only when num_generations > 1
            "cohere.command-light-text-v14",
            "{\"prompt\":\"Say it\",\"max_tokens\":50,\"stream\":true}",
            "{\"generations\":[{\"text\":%s,\"is_finished\":false}]}",
            "{\"generations\":[{\"finish_reason\":\"COMPLETE\",\"id\":\"g1\",\"text\":%s}],"
                + "\"id\":\"r1\",\"prompt\":\"Say it\"}"),
        Arguments.of(
            "cohere.command-r-plus-v1:0",
            "{\"message\":\"Say it\"}",
            "{\"event_type\":\"text-generation\",\"text\":%s,\"is_finished\":false}",
            "{\"response_id\":\"r1\",\"text\":%s,\"generation_id\":\"g1\","
                + "\"finish_reason\":\"COMPLETE\"}"),
        Arguments.of(
            "ai21.jamba-1-5-mini-v1:0",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Say it\"}],\"max_tokens\":50}",
            "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},"
                + "\"finish_reason\":null}]}",
            "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":%s},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
                + "\"completion_tokens\":4,\"total_tokens\":7}}"),
        Arguments.of(
            "deepseek.r1-v1:0",
            "{\"prompt\":\"Say it\",\"max_tokens\":50}",
            "{\"choices\":[{\"text\":%s,\"stop_reason\":null}]}",
            "{\"choices\":[{\"text\":%s,\"stop_reason\":\"stop\"}]}"));
  }

  /** AI21 Jurassic answers JSON only (no streaming). */
  static Stream<Arguments> jsonOnlyModels() {
    return Stream.concat(
        models().map(a -> Arguments.of(a.get()[0], a.get()[1], a.get()[3])),
        Stream.of(
            Arguments.of(
                "ai21.j2-ultra-v1",
                "{\"prompt\":\"Say it\",\"maxTokens\":50}",
                "{\"id\":1,\"prompt\":{\"text\":\"Say it\"},\"completions\":[{\"data\":"
                    + "{\"text\":%s,\"tokens\":[]},\"finishReason\":{\"reason\":\"endoftext\"}}]}")));
  }

  private static byte[] stream(String chunkTemplate, List<String> pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String piece : pieces) {
      out.writeBytes(chunk(String.format(chunkTemplate, json(piece))));
    }
    out.writeBytes(
        chunk(
            "{\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":3,"
                + "\"outputTokenCount\":900}}"));
    return out.toByteArray();
  }

  private static MockResponse jsonAnswer(String body) {
    return new MockResponse.Builder()
        .code(200)
        .addHeader("Content-Type", "application/json")
        .addHeader("X-Amzn-Bedrock-Input-Token-Count", "3")
        .addHeader("X-Amzn-Bedrock-Output-Token-Count", "4")
        .body(body)
        .build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void aStreamOfAReadModelIsStoppedMidWayWithAnExceptionFrame(
      String model, String prompt, String chunk, String answer) throws Exception {
    backend.enqueue(
        eventStream(
            stream(chunk, List.of("Hello", " forb", "idden", " now", " ok", " a", " long tail"))));
    byte[] appSaw;
    try (Response response = post("/model/" + model + "/invoke-with-response-stream", prompt)) {
      assertThat(response.code()).isEqualTo(200);
      appSaw = response.body().bytes();
    }
    List<EventStreamMessage> frames = messages(appSaw);
    StringBuilder decoded = new StringBuilder();
    for (EventStreamMessage frame : frames.subList(0, frames.size() - 1)) {
      assertThat(frame.eventType()).isEqualTo("chunk");
      JsonNode payload = Json.parseOrNull(frame.payload(), 0, frame.payload().length);
      decoded.append(
          new String(
              Base64.getDecoder().decode(payload.path("bytes").textValue()),
              StandardCharsets.UTF_8));
    }
    assertThat(decoded.toString()).contains("Hello").doesNotContain("idden").doesNotContain("tail");
    EventStreamMessage last = frames.get(frames.size() - 1);
    assertThat(last.messageType()).as("the last frame").isEqualTo("exception");
    assertThat(last.exceptionType()).isEqualTo("validationException");
    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.safety().check()).isEqualTo("deny-words");
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.errorType()).isEqualTo("content_blocked");
    screened.noMoreEvents();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void aCleanStreamOfAReadModelPassesByteForByteAndIsSaidToPass(
      String model, String prompt, String chunk, String answer) throws Exception {
    byte[] stream = stream(chunk, List.of("Hello", " there", ", all", " fine"));
    backend.enqueue(eventStream(stream));
    try (Response response = post("/model/" + model + "/invoke-with-response-stream", prompt)) {
      assertThat(response.body().bytes()).isEqualTo(stream);
    }
    GatewayEvent event = screened.event();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
    screened.noMoreEvents();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jsonOnlyModels")
  void aJsonAnswerOfAReadModelIsWithheldInItsModelsShape(String model, String prompt, String answer)
      throws Exception {
    backend.enqueue(jsonAnswer(String.format(answer, json("Here is a forbidden word."))));
    String appSaw;
    try (Response response = post("/model/" + model + "/invoke", prompt)) {
      assertThat(response.code()).isEqualTo(200);
      appSaw = response.body().string();
    }
    assertThat(appSaw).doesNotContain("forbidden");
    JsonNode withheld = Json.parseOrNull(utf8(appSaw), 0, utf8(appSaw).length);
    assertThat(withheld).as("a JSON answer: %s", appSaw).isNotNull();
    assertThat(appSaw).containsAnyOf("CONTENT_FILTERED", "content_filter", "ERROR_TOXIC");
    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.safety().check()).isEqualTo("deny-words");
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(7);
    screened.noMoreEvents();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jsonOnlyModels")
  void aCleanJsonAnswerOfAReadModelPassesUnchangedAndIsSaidToPass(
      String model, String prompt, String answer) throws Exception {
    String body = String.format(answer, json("All fine here."));
    backend.enqueue(jsonAnswer(body));
    try (Response response = post("/model/" + model + "/invoke", prompt)) {
      assertThat(response.body().string()).isEqualTo(body);
    }
    GatewayEvent event = screened.event();
    assertThat(event.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
    screened.noMoreEvents();
  }

  @Test
  void aLlamaAnswerAboveTheHeldBoundIsWithheldAsAnEmptyLlamaAnswerWhenSetToBlock()
      throws Exception {
    backend.enqueue(jsonAnswer("{\"generation\":\"" + "x ".repeat(600) + "\"}"));
    OkHttpClient client =
        screened.governed(
            forbiddenInWindowsOfTen()
                .maxHeldAnswerBytes(256, dev.aigateway.core.safety.SafetyAction.BLOCK));
    String appSaw;
    try (Response response =
        screened.post(
            client, "/model/meta.llama3-70b-instruct-v1:0/invoke", "{\"prompt\":\"Say it\"}")) {
      appSaw = response.body().string();
    }
    JsonNode withheld = Json.parseOrNull(utf8(appSaw), 0, utf8(appSaw).length);
    assertThat(withheld.path("generation").textValue()).as(appSaw).isEmpty();
    assertThat(withheld.path("stop_reason").textValue()).isEqualTo("content_filtered");
    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
    assertThat(event.safety().check()).isEqualTo("answer-size");
    screened.noMoreEvents();
  }

  @Test
  void aTitanEmbeddingWhosePromptWasReadIsSaidToPass() throws Exception {
    String body = "{\"embedding\":[0.1,-0.2],\"inputTextTokenCount\":3}";
    backend.enqueue(jsonAnswer(body));
    try (Response response =
        post("/model/amazon.titan-embed-text-v2:0/invoke", "{\"inputText\":\"Say it\"}")) {
      assertThat(response.body().string()).isEqualTo(body);
    }
    GatewayEvent event = screened.event();
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.PASSED); // no answer text
    screened.noMoreEvents();
  }

  @Test
  void aJsonAnswerOfAModelWhoseAnswersAreNotReadPassesAndIsNotSaidToPass() throws Exception {
    String body = "{\"artifacts\":[{\"text\":\"a forbidden word\"}]}";
    backend.enqueue(jsonAnswer(body));
    try (Response response =
        post("/model/stability.sd3-large-v1:0/invoke", "{\"prompt\":\"a cat\"}")) {
      assertThat(response.body().string()).isEqualTo(body);
    }
    GatewayEvent event = screened.event();
    // the prompt, read by no check either, is the first said so
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.FLAGGED);
    assertThat(event.safety().check()).isIn("unreadable-prompt", "unreadable-answer");
    assertThat(event.safety().category()).isEqualTo("format-not-read");
    screened.noMoreEvents();
  }
}
