package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.core.Prompts;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.wire.tiny.TinyFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Function;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Each OpenAI wire format driven directly, as the orchestrator drives it. */
class OpenAiFormatsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Function<String, String> NO_HEADERS = name -> null;
  private static final TokenCounter COUNTER = TokenCounter.defaults();

  private static WireRequest read(WireFormat format, String path, String body) {
    PostedRequest request = PostedRequest.of("https://api.example.com" + path, body);
    CallMatch match = format.recognise("POST", path, NO_HEADERS);
    assertThat(match).as("%s recognises %s", format, path).isNotNull();
    return format.readRequest(match, request, Integer.MAX_VALUE);
  }

  private static InputStream bytes(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads a body the format observes to its end; returns the readout and what the app saw. */
  private static Read readToEnd(ObservedBody body, RecordingBodyListener listener)
      throws IOException {
    String seen = new String(body.readAllBytes(), StandardCharsets.UTF_8);
    body.close();
    RecordingBodyListener.End end = listener.onlyEnd();
    return new Read(seen, end.outcome(), end.facts());
  }

  private record Read(String seen, CallOutcome outcome, ResponseReadout readout) {}

  private static Read document(WireFormat format, String document) throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    return readToEnd(
        format.observeDocument(bytes(document), listener, () -> false, 1 << 20), listener);
  }

  private static Read stream(WireFormat format, String stream, boolean hideUsage)
      throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    return readToEnd(
        format.observeStream(bytes(stream), listener, () -> false, hideUsage), listener);
  }

  private static JsonNode error(WireFormat format, LocalError error) throws IOException {
    return JSON.readTree(format.errorBody(error)).get("error");
  }

  private static CachedResponse cached(CachedResponse.Format form, String body) {
    return new CachedResponse(
        form, body.getBytes(StandardCharsets.UTF_8), "gpt-4o", Usage.of(8, 2), Instant.EPOCH);
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ chat completions

  @Nested
  class ChatCompletions {
    private final WireFormat chat = OpenAiChatFormat.INSTANCE;

    private static final String REQUEST =
        "{\"model\":\"gpt-4o\",\"stream\":true,\"max_completion_tokens\":50,\"n\":2,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    private static final String DOCUMENT =
        "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o-2024\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},"
            + "\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10}}";

    private static final String CHUNK =
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]%s}\n\n";

    private static String chunk(String content, boolean usageNull) {
      return String.format(CHUNK, content, usageNull ? ",\"usage\":null" : "");
    }

    private static final String USAGE_CHUNK =
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\","
            + "\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,"
            + "\"total_tokens\":10}}\n\n";

    @Test
    void recognisesOpenAiAndBothAzurePathsAndNothingElse() {
      assertThat(chat.recognise("POST", "/v1/chat/completions", NO_HEADERS))
          .isEqualTo(new CallMatch(Operation.CHAT_COMPLETIONS, null));
      assertThat(chat.recognise("POST", "/openai/deployments/gpt4o/chat/completions", NO_HEADERS))
          .isEqualTo(new CallMatch(Operation.CHAT_COMPLETIONS, "gpt4o"));
      assertThat(chat.recognise("POST", "/openai/v1/chat/completions/", NO_HEADERS))
          .isEqualTo(new CallMatch(Operation.CHAT_COMPLETIONS, null));
      assertThat(chat.recognise("GET", "/v1/chat/completions", NO_HEADERS)).isNull();
      assertThat(chat.recognise("POST", "/v1/completions", NO_HEADERS)).isNull();
      assertThat(chat.recognise("POST", "/v1/models", NO_HEADERS)).isNull();
      assertThat(chat.pathEndings()).containsExactly("completions");
      assertThat(chat.operation()).isEqualTo(Operation.CHAT_COMPLETIONS);
    }

    @Test
    void readsTheRequestItsFormatRecognised() {
      WireRequest request = read(chat, "/v1/chat/completions", REQUEST);

      assertThat(request.format()).isSameAs(chat);
      assertThat(request.model()).isEqualTo("gpt-4o");
      assertThat(request.stream()).isTrue();
      assertThat(request.maxOutputTokens()).hasValue(50);
      assertThat(request.maxOutputTokensField()).isEqualTo("max_completion_tokens");
      assertThat(request.choices()).isEqualTo(2);
      assertThat(request.provider()).isEqualTo("openai");
    }

    @Test
    void anAzureDeploymentIsTheModelWhenTheBodyNamesNone() {
      WireRequest request =
          read(chat, "/openai/deployments/prod-4o/chat/completions", "{\"messages\":[]}");

      assertThat(request.model()).isEqualTo("prod-4o");
      assertThat(request.deployment()).isEqualTo("prod-4o");
      assertThat(request.provider()).isEqualTo(BackendFlavor.AZURE_OPENAI.providerName());
    }

    @Test
    void anOpenAiV1PathIsAzureOnlyAtAzureOrWithAnApiVersion() {
      // /openai/v1/ is Azure OpenAI's v1 API, and also where Groq and Amazon Bedrock serve their
      // OpenAI-compatible APIs: the path alone does not name the provider.
      String path = "/openai/v1/chat/completions";
      String azure = BackendFlavor.AZURE_OPENAI.providerName();
      assertThat(providerAt(chat, "https://my-res.openai.azure.com" + path)).isEqualTo(azure);
      assertThat(providerAt(chat, "https://my-res.cognitiveservices.azure.com" + path))
          .isEqualTo(azure);
      assertThat(providerAt(chat, "https://my-apim.azure-api.net" + path)).isEqualTo(azure);
      assertThat(providerAt(chat, "https://ai.example.com" + path + "?api-version=preview"))
          .isEqualTo(azure);
      assertThat(providerAt(chat, "https://api.groq.com" + path)).isEqualTo("openai");
      assertThat(providerAt(chat, "https://bedrock-runtime.us-west-2.amazonaws.com" + path))
          .isEqualTo(BackendFlavor.BEDROCK.providerName());
      // Azure's own paths stay Azure's wherever they are sent.
      assertThat(providerAt(chat, "https://ai.example.com/openai/deployments/d/chat/completions"))
          .isEqualTo(azure);
      assertThat(
              providerAt(
                  OpenAiResponsesFormat.INSTANCE,
                  "https://ai.example.com/openai/responses?api-version=2025-04-01"))
          .isEqualTo(azure);
    }

    private String providerAt(WireFormat format, String url) {
      PostedRequest request = PostedRequest.of(url, "{\"model\":\"m\",\"messages\":[]}");
      CallMatch match = format.recognise("POST", request.encodedPath(), NO_HEADERS);
      assertThat(match).as("%s recognises %s", format, url).isNotNull();
      return format.readRequest(match, request, Integer.MAX_VALUE).provider();
    }

    @Test
    void countsThePromptAsTheTokenCounterDoes() {
      WireRequest request = read(chat, "/v1/chat/completions", REQUEST);

      long counted = chat.countPrompt(COUNTER, request);

      assertThat(counted)
          .isPositive()
          .isEqualTo(Prompts.countTokens(COUNTER, "gpt-4o", Operation.CHAT_COMPLETIONS, REQUEST));
    }

    @Test
    void countsAResponseFormatSchemaAsTheTokenCounterDoes() {
      String body =
          "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
              + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
              + "\"answer\",\"schema\":{\"type\":\"object\",\"properties\":{\"text\":"
              + "{\"type\":\"string\"}}}}}}";
      String without = body.substring(0, body.indexOf(",\"response_format\"")) + "}";

      long counted = chat.countPrompt(COUNTER, read(chat, "/v1/chat/completions", body));

      assertThat(counted)
          .isEqualTo(Prompts.countTokens(COUNTER, "gpt-4o", Operation.CHAT_COMPLETIONS, body))
          .isGreaterThan(chat.countPrompt(COUNTER, read(chat, "/v1/chat/completions", without)));
    }

    @Test
    void aBodyItCannotReadCountsNothing() {
      WireRequest request = read(chat, "/v1/chat/completions", "{not json");

      assertThat(request.bodyUnderstood()).isFalse();
      assertThat(chat.countPrompt(COUNTER, request)).isZero();
    }

    @Test
    void readsUsageAndModelFromADocumentPassedOnUnchanged() throws IOException {
      Read read = document(chat, DOCUMENT);

      assertThat(read.seen()).isEqualTo(DOCUMENT);
      assertThat(read.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(read.readout().usage()).isEqualTo(new Usage(8, 2, 10, 0, 0));
      assertThat(read.readout().model()).isEqualTo("gpt-4o-2024");
    }

    @Test
    void readsUsageFromAStreamAndHidesWhatTheGatewayAskedFor() throws IOException {
      String asked = chunk("Hel", true) + chunk("lo", true) + USAGE_CHUNK + "data: [DONE]\n\n";
      String plain = chunk("Hel", false) + chunk("lo", false) + "data: [DONE]\n\n";

      Read hidden = stream(chat, asked, true);
      Read shown = stream(chat, asked, false);

      assertThat(hidden.seen()).isEqualTo(plain);
      assertThat(hidden.readout().usage()).isEqualTo(new Usage(8, 2, 10, 0, 0));
      assertThat(hidden.readout().complete()).isTrue();
      assertThat(shown.seen()).isEqualTo(asked);
      assertThat(shown.readout().usage()).isEqualTo(new Usage(8, 2, 10, 0, 0));
    }

    @Test
    void aStreamWithoutUsageLeavesItsTextToEstimateFrom() throws IOException {
      Read read =
          stream(chat, chunk("Hel", false) + chunk("lo", false) + "data: [DONE]\n\n", false);

      assertThat(read.readout().usage()).isNull();
      assertThat(read.readout().text().toString()).isEqualTo("Hello");
    }

    @Test
    void asksForStreamUsageOnlyAsTheRewriteThatHidesIt() {
      WireRequest request = read(chat, "/v1/chat/completions", REQUEST);

      assertThat(chat.asksForStreamUsage()).isTrue();
      assertThat(text(chat.bodyForBackend(request, null, true)))
          .endsWith(",\"stream_options\":{\"include_usage\":true}}");
      assertThat(text(chat.bodyForBackend(request, "gpt-4o-mini", false)))
          .startsWith("{\"model\":\"gpt-4o-mini\",\"stream\":true");
      assertThat(chat.bodyForBackend(request, "gpt-4o", false)).isNull(); // nothing changes
    }

    @Test
    void writesEachLocalErrorInOpenAisShape() throws IOException {
      JsonNode rate =
          error(chat, new LocalError(RejectionReason.TOKEN_RATE_LIMIT, "wait", null, null));
      JsonNode quota =
          error(chat, new LocalError(RejectionReason.TOKEN_QUOTA, "spent", null, null));
      JsonNode model =
          error(chat, new LocalError(RejectionReason.MODEL_NOT_FOUND, "no", "model", null));
      JsonNode invalid =
          error(
              chat,
              new LocalError(
                  RejectionReason.INVALID_REQUEST, "big", "max_tokens", "integer_above_max_value"));
      JsonNode none =
          error(chat, new LocalError(RejectionReason.NO_BACKEND_AVAILABLE, "down", null, null));

      assertThat(rate.toString())
          .isEqualTo(
              "{\"message\":\"wait\",\"type\":\"tokens\",\"param\":null,"
                  + "\"code\":\"rate_limit_exceeded\"}");
      assertThat(quota.get("type").asText()).isEqualTo("insufficient_quota");
      assertThat(quota.get("code").asText()).isEqualTo("insufficient_quota");
      assertThat(model.get("param").asText()).isEqualTo("model");
      assertThat(model.get("code").asText()).isEqualTo("model_not_found");
      assertThat(invalid.get("type").asText()).isEqualTo("invalid_request_error");
      assertThat(invalid.get("code").asText()).isEqualTo("integer_above_max_value");
      assertThat(none.get("type").asText()).isEqualTo("server_error");
      assertThat(chat.errorContentType()).isEqualTo("application/json; charset=utf-8");
    }

    @Test
    void replaysADocumentAsAStreamWithUsageOnlyWhenAskedAndBack() throws IOException {
      Replayed json = chat.replay(cached(CachedResponse.Format.JSON, DOCUMENT), false, false);
      Replayed withUsage = chat.replay(cached(CachedResponse.Format.JSON, DOCUMENT), true, true);
      Replayed without = chat.replay(cached(CachedResponse.Format.JSON, DOCUMENT), true, false);

      assertThat(text(json.body())).isEqualTo(DOCUMENT);
      assertThat(json.contentType()).isEqualTo("application/json");
      assertThat(withUsage.contentType()).startsWith("text/event-stream");
      assertThat(text(withUsage.body()))
          .contains("\"choices\":[],\"usage\":{\"prompt_tokens\":8")
          .endsWith("data: [DONE]\n\n");
      assertThat(text(without.body())).doesNotContain("usage");
      Replayed back =
          chat.replay(cached(CachedResponse.Format.SSE, text(withUsage.body())), false, false);
      assertThat(JSON.readTree(back.body()).get("choices").get(0).get("message").get("content"))
          .isEqualTo(JSON.readTree("\"Hi\""));
    }

    @Test
    void writesTheUrlOfEachBackendFlavour() {
      assertThat(chat.backendUrl(BackendFlavor.OPENAI, "https://api.openai.com", null, "gpt-4o"))
          .isEqualTo("https://api.openai.com/v1/chat/completions");
      assertThat(chat.backendUrl(BackendFlavor.OPENAI_COMPATIBLE, "http://vllm:8000/v1", null, "m"))
          .isEqualTo("http://vllm:8000/v1/chat/completions");
      assertThat(
              chat.backendUrl(
                  BackendFlavor.AZURE_OPENAI, "https://x.openai.azure.com", "2024-10-21", "my dep"))
          .isEqualTo(
              "https://x.openai.azure.com/openai/deployments/my%20dep/chat/completions"
                  + "?api-version=2024-10-21");
      assertThat(chat.backendUrl(BackendFlavor.AZURE_OPENAI_V1, "https://x.azure.com", null, "d"))
          .isEqualTo("https://x.azure.com/openai/v1/chat/completions");
      assertThat(
              chat.backendUrl(
                  BackendFlavor.AZURE_AI_INFERENCE,
                  "https://r.services.ai.azure.com",
                  "2024-05-01-preview",
                  "Phi-4"))
          .isEqualTo(
              "https://r.services.ai.azure.com/models/chat/completions"
                  + "?api-version=2024-05-01-preview");
      assertThat(
              chat.backendUrl(
                  BackendFlavor.GEMINI, "https://generativelanguage.googleapis.com", null, "g"))
          .isEqualTo("https://generativelanguage.googleapis.com/v1beta/openai/chat/completions");
      assertThat(
              chat.backendUrl(
                  BackendFlavor.VERTEX_AI,
                  "https://l-aiplatform.googleapis.com/v1/projects/p/locations/l",
                  null,
                  "google/gemini-2.0-flash"))
          .isEqualTo(
              "https://l-aiplatform.googleapis.com/v1/projects/p/locations/l"
                  + "/endpoints/openapi/chat/completions");
      assertThat(chat.modelInBody(BackendFlavor.AZURE_AI_INFERENCE)).isTrue();
      assertThat(chat.modelInBody(BackendFlavor.GEMINI)).isTrue();
      assertThat(chat.modelInBody(BackendFlavor.AZURE_OPENAI)).isFalse();
      assertThat(chat.modelInBody(BackendFlavor.AZURE_OPENAI_V1)).isTrue();
      assertThat(chat.modelInBody(BackendFlavor.OPENAI)).isTrue();
    }

    @Test
    void refusesToRewriteARequestAnotherFormatRead() {
      WireFormat tiny = new TinyFormat();
      PostedRequest posted = PostedRequest.of("http://h/tiny/v1/generate", "{\"engine\":\"e\"}");
      WireRequest foreign =
          tiny.readRequest(new CallMatch(Operation.CHAT_COMPLETIONS, null), posted, 1 << 20);

      assertThatThrownBy(() -> chat.bodyForBackend(foreign, "m", false))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("openai.chat_completions cannot rewrite a request read by tiny");
    }
  }

  // ------------------------------------------------------------------ completions

  @Nested
  class Completions {
    private final WireFormat completions = OpenAiCompletionsFormat.INSTANCE;

    @Test
    void recognisesTheLegacyPathButNotChat() {
      assertThat(completions.recognise("POST", "/v1/completions", NO_HEADERS))
          .isEqualTo(new CallMatch(Operation.COMPLETIONS, null));
      assertThat(completions.recognise("POST", "/openai/deployments/d/completions", NO_HEADERS))
          .isEqualTo(new CallMatch(Operation.COMPLETIONS, "d"));
      assertThat(completions.recognise("POST", "/v1/chat/completions", NO_HEADERS)).isNull();
    }

    @Test
    void countsThePromptAndReadsTheAllowance() {
      String body =
          "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Once upon\",\"max_tokens\":7}";
      WireRequest request = read(completions, "/v1/completions", body);

      assertThat(completions.countPrompt(COUNTER, request))
          .isPositive()
          .isEqualTo(Prompts.countTokens(COUNTER, null, Operation.COMPLETIONS, body));
      assertThat(request.maxOutputTokensField()).isEqualTo("max_tokens");
      assertThat(request.maxOutputTokens()).hasValue(7);
    }

    @Test
    void hidesTheStreamUsageItAskedFor() throws IOException {
      String chunk =
          "data: {\"id\":\"t\",\"object\":\"text_completion\",\"model\":\"i\","
              + "\"choices\":[{\"index\":0,\"text\":\"time\"}],\"usage\":null}\n\n";
      String usage =
          "data: {\"id\":\"t\",\"object\":\"text_completion\",\"model\":\"i\",\"choices\":[],"
              + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n";

      Read read = stream(completions, chunk + usage + "data: [DONE]\n\n", true);

      assertThat(read.seen()).isEqualTo(chunk.replace(",\"usage\":null", "") + "data: [DONE]\n\n");
      assertThat(read.readout().usage()).isEqualTo(new Usage(3, 1, 4, 0, 0));
      assertThat(completions.asksForStreamUsage()).isTrue();
    }

    @Test
    void replaysADocumentAsTextCompletionChunks() {
      String document =
          "{\"id\":\"t\",\"object\":\"text_completion\",\"model\":\"i\",\"choices\":[{\"index\":0,"
              + "\"text\":\"time\",\"finish_reason\":\"length\"}]}";

      Replayed replayed =
          completions.replay(cached(CachedResponse.Format.JSON, document), true, false);

      assertThat(text(replayed.body()))
          .contains("\"object\":\"text_completion\"", "\"text\":\"time\"")
          .endsWith("data: [DONE]\n\n");
    }
  }

  // ------------------------------------------------------------------ embeddings

  @Nested
  class Embeddings {
    private final WireFormat embeddings = OpenAiEmbeddingsFormat.INSTANCE;

    @Test
    void recognisesEmbeddingsPaths() {
      assertThat(embeddings.recognise("POST", "/v1/embeddings", NO_HEADERS))
          .isEqualTo(new CallMatch(Operation.EMBEDDINGS, null));
      assertThat(embeddings.recognise("POST", "/v1/chat/completions", NO_HEADERS)).isNull();
      assertThat(embeddings.pathEndings()).containsExactly("embeddings");
    }

    @Test
    void readsPromptOnlyUsageFromADocument() throws IOException {
      String document =
          "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
              + "\"embedding\":[0.1,0.2]}],\"model\":\"text-embedding-3-small\","
              + "\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}";

      Read read = document(embeddings, document);

      assertThat(read.readout().usage()).isEqualTo(new Usage(5, 0, 5, 0, 0));
      assertThat(read.readout().model()).isEqualTo("text-embedding-3-small");
    }

    @Test
    void countsTheInputAndNeverAsksForStreamUsage() {
      String body = "{\"model\":\"text-embedding-3-small\",\"input\":[\"one\",\"two three\"]}";
      WireRequest request = read(embeddings, "/v1/embeddings", body);

      assertThat(embeddings.countPrompt(COUNTER, request))
          .isEqualTo(Prompts.countTokens(COUNTER, null, Operation.EMBEDDINGS, body))
          .isPositive();
      assertThat(embeddings.asksForStreamUsage()).isFalse();
      assertThat(embeddings.bodyForBackend(request, null, true)).isNull();
    }

    @Test
    void aDocumentIsNeverReplayedAsAStream() {
      String document = "{\"object\":\"list\",\"data\":[],\"usage\":{\"prompt_tokens\":5}}";

      assertThat(embeddings.replay(cached(CachedResponse.Format.JSON, document), true, false))
          .isNull();
      assertThat(embeddings.replay(cached(CachedResponse.Format.JSON, document), false, false))
          .isNotNull();
    }
  }

  // ------------------------------------------------------------------ Responses API

  @Nested
  class Responses {
    private final WireFormat responses = OpenAiResponsesFormat.INSTANCE;

    private static final String EVENTS =
        "event: response.created\n"
            + "data: {\"type\":\"response.created\",\"response\":{\"model\":\"gpt-4o\"}}\n\n"
            + "event: response.output_text.delta\n"
            + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n"
            + "event: response.completed\n"
            + "data: {\"type\":\"response.completed\",\"response\":{\"model\":\"gpt-4o-2024\","
            + "\"usage\":{\"input_tokens\":9,\"output_tokens\":1,\"total_tokens\":10,"
            + "\"output_tokens_details\":{\"reasoning_tokens\":0}}}}\n\n";

    @Test
    void recognisesTheResponsesPaths() {
      assertThat(responses.recognise("POST", "/v1/responses", NO_HEADERS))
          .isEqualTo(new CallMatch(Operation.RESPONSES, null));
      assertThat(responses.recognise("POST", "/openai/v1/responses", NO_HEADERS))
          .isEqualTo(new CallMatch(Operation.RESPONSES, null));
      assertThat(responses.recognise("POST", "/v1/embeddings", NO_HEADERS)).isNull();
    }

    @Test
    void readsTheOutputAllowanceFromMaxOutputTokens() {
      WireRequest request =
          read(
              responses,
              "/v1/responses",
              "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"max_output_tokens\":64}");

      assertThat(request.maxOutputTokensField()).isEqualTo("max_output_tokens");
      assertThat(request.maxOutputTokens()).hasValue(64);
      assertThat(responses.countPrompt(COUNTER, request)).isPositive();
    }

    @Test
    void readsUsageFromTheEventThatEndsTheResponseAndHidesNothing() throws IOException {
      Read read = stream(responses, EVENTS, true);

      assertThat(read.seen()).isEqualTo(EVENTS);
      assertThat(read.readout().usage()).isEqualTo(new Usage(9, 1, 10, 0, 0));
      assertThat(read.readout().model()).isEqualTo("gpt-4o-2024");
      assertThat(read.readout().text().toString()).isEqualTo("Hi");
      assertThat(read.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(responses.asksForStreamUsage()).isFalse();
    }

    @Test
    void aStreamIsReplayedAsStoredAndNeverConverted() {
      assertThat(
              text(responses.replay(cached(CachedResponse.Format.SSE, EVENTS), true, false).body()))
          .isEqualTo(EVENTS);
      assertThat(responses.replay(cached(CachedResponse.Format.SSE, EVENTS), false, false))
          .isNull();
    }

    @Test
    void azureTakesTheDeploymentInTheBody() {
      assertThat(
              responses.backendUrl(
                  BackendFlavor.AZURE_OPENAI, "https://x.openai.azure.com", "2025-03-01", "dep"))
          .isEqualTo("https://x.openai.azure.com/openai/responses?api-version=2025-03-01");
      assertThat(responses.modelInBody(BackendFlavor.AZURE_OPENAI)).isTrue();
      assertThat(responses.backendUrl(BackendFlavor.OPENAI, "https://api.openai.com", null, "m"))
          .isEqualTo("https://api.openai.com/v1/responses");
    }
  }
}
