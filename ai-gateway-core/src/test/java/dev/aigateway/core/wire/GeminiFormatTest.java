package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.testing.GeminiBodies;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeminiFormatTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Function<String, String> NO_HEADERS = name -> null;
  private static final String API = "https://generativelanguage.googleapis.com";
  private static final String VERTEX =
      "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/us-central1";
  private static final Usage ANSWER_USAGE = new Usage(15, 52, 67, 5, 12);
  private static final Usage STREAM_USAGE = new Usage(15, 41, 56, 0, 0);

  private static WireRequest read(String url, String body) {
    PostedRequest request = PostedRequest.of(url, body);
    CallMatch match = WireFormats.defaults().recognise("POST", request.encodedPath(), NO_HEADERS);
    assertThat(match).as(url).isNotNull();
    WireFormat format = WireFormats.defaults().formatFor(match, request);
    return format.readRequest(match, request, 1 << 20);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Reads {@code body} to its end through the request's format, served in pieces of 1 to 7. */
  private static RecordingBodyListener.End observe(
      WireRequest request, String contentType, String body, int... pieces) throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    WireFormat format = request.format();
    InputStream upstream = new PiecewiseInputStream(bytes(body), pieces);
    ObservedBody observed =
        format.isStream(contentType, request.stream())
            ? format.observeStream(upstream, listener, () -> false, false)
            : format.observeDocument(upstream, listener, () -> false, 1 << 20);
    byte[] seen = observed.readAllBytes();
    assertThat(new String(seen, StandardCharsets.UTF_8)).as("bytes pass unchanged").isEqualTo(body);
    return listener.onlyEnd();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/v1beta/models/gemini-2.0-flash:generateContent",
        "/v1/models/gemini-2.0-flash:generateContent",
        "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
        "/v1beta1/projects/p/locations/global/publishers/google/models/gemini-2.0-flash:streamGenerateContent",
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
        "/v1beta/models/gemini-2.0-flash%3AgenerateContent",
        "/v1beta/models/gemini-2.0-flash%3agenerateContent",
        "/v1/projects/p/locations/l/publishers/google/models/gemini-2.0-flash%3AstreamGenerateContent"
      })
  void recognisesGeminiAndVertexPathsWithTheModelFromThePath(String path) {
    CallMatch match = WireFormats.defaults().recognise("POST", path, NO_HEADERS);

    assertThat(match).isEqualTo(new CallMatch(Operation.GENERATE_CONTENT, "gemini-2.0-flash"));
    assertThat(WireFormats.defaults().formatFor(match, PostedRequest.of(API + path, "{}")))
        .isSameAs(GeminiFormat.INSTANCE);
  }

  @Test
  void recognisesTunedModelsAndVertexEndpointsAndDecodesTheModel() {
    assertThat(GeminiFormat.match("POST", "/v1beta/tunedModels/my-tune:generateContent"))
        .isEqualTo(new CallMatch(Operation.GENERATE_CONTENT, "my-tune"));
    assertThat(
            GeminiFormat.match(
                "POST", "/v1/projects/p/locations/l/endpoints/1234:streamGenerateContent"))
        .isEqualTo(new CallMatch(Operation.GENERATE_CONTENT, "1234"));
    assertThat(GeminiFormat.match("POST", "/v1beta/models/my%20model:generateContent").deployment())
        .isEqualTo("my model");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/v1beta/models/gemini-2.0-flash:countTokens",
        "/v1beta/models/gemini-2.0-flash:embedContent",
        "/v1beta/models/gemini-2.0-flash:generateContentX",
        "/v1beta/models/:generateContent",
        "/v1beta/files/abc:generateContent",
        "/:generateContent",
        ":generateContent",
        "/v1beta/models/gemini-2.0-flash",
        "/v1beta/models/gemini-2.0-flash:generateContent/",
        "/v1beta/models/gemini-2.0-flash%3AcountTokens",
        "/v1beta/models/%3AgenerateContent",
        "/v1beta/models/gemini-2.0-flash%3BgenerateContent",
        "/v1beta/models/gemini-2.0-flash3AgenerateContent",
        "%3AgenerateContent"
      })
  void doesNotRecogniseOtherMethodsOrCollections(String path) {
    assertThat(WireFormats.defaults().recognise("POST", path, NO_HEADERS)).as(path).isNull();
  }

  /** The paths the kept read is tried on: Gemini's and Vertex's, decoded or not, and others. */
  private static final List<String> PATHS =
      List.of(
          "/v1beta/models/gemini-2.0-flash:generateContent",
          "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
          "/v1/projects/p/locations/l/publishers/google/models/gemini-2.5-pro:generateContent",
          "/v1beta/tunedModels/my-tune:streamGenerateContent",
          "/v1/projects/p/locations/l/endpoints/1234:generateContent",
          "/v1beta/models/my%20model:generateContent",
          "/v1beta/models/bad%zzmodel:generateContent",
          "/v1beta/models/gemini-2.0-flash:countTokens",
          "/v1beta/files/abc:generateContent",
          "/v1beta/models/:generateContent",
          "/v1beta/models/gemini-2.0-flash%3AgenerateContent",
          "/v1beta/models/gemini-2.0-flash%3astreamGenerateContent",
          ":generateContent");

  @Test
  void pathsReadInAnyOrderAreReadAsEachAloneIsReadAndTheirFramingWithThem() {
    java.util.Random random = new java.util.Random(15);
    for (int i = 0; i < 2_000; i++) {
      String path = PATHS.get(random.nextInt(PATHS.size()));
      // a new string half the time: the kept read is found by equal text, not by identity
      String asked = random.nextBoolean() ? new String(path) : path;
      CallMatch expected = GeminiFormat.matchPath(path);
      assertThat(GeminiFormat.match("POST", asked)).as(path).isEqualTo(expected);
      assertThat(WireFormats.defaults().recognise("POST", asked, NO_HEADERS))
          .as(path)
          .isEqualTo(expected);
      if (expected != null) {
        String query = random.nextBoolean() ? "?alt=sse" : "";
        WireRequest request = read(API + asked + query, "{}");
        assertThat(request.model()).isEqualTo(expected.deployment());
        assertThat(((GeminiRequest) request).stream())
            .isEqualTo(path.endsWith("streamGenerateContent"));
        assertThat(request.format())
            .isSameAs(
                GeminiFormat.of(
                    !path.endsWith("streamGenerateContent")
                        ? GeminiFormat.Framing.DOCUMENT
                        : query.isEmpty()
                            ? GeminiFormat.Framing.ARRAY
                            : GeminiFormat.Framing.EVENTS));
      }
    }
  }

  /** {@code alt=sse} looked for as splitting the query at each {@code &} finds it. */
  private static boolean asksForEventsBySplitting(String url) {
    int query = url.indexOf('?');
    if (query < 0) {
      return false;
    }
    int end = url.indexOf('#', query);
    for (String pair : url.substring(query + 1, end < 0 ? url.length() : end).split("&")) {
      if (pair.equals("alt=sse")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void altSseIsFoundInAQueryAsSplittingItFindsIt() {
    String[] pieces = {
      "alt=sse", "alt=ss", "alt=ssex", "xalt=sse", "key=k", "", "&", "#", "?", "="
    };
    java.util.Random random = new java.util.Random(16);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder url = new StringBuilder("https://g.example/v1beta/m:streamGenerateContent");
      int n = random.nextInt(6);
      for (int k = 0; k < n; k++) {
        url.append(pieces[random.nextInt(pieces.length)]);
        if (random.nextBoolean()) {
          url.append(random.nextBoolean() ? '&' : '?');
        }
      }
      String text = url.toString();
      assertThat(GeminiFormat.asksForEvents(text))
          .as(text)
          .isEqualTo(asksForEventsBySplitting(text));
    }
    assertThat(GeminiFormat.asksForEvents("https://g.example/m?key=k&alt=sse")).isTrue();
    assertThat(GeminiFormat.asksForEvents("https://g.example/m?key=k#alt=sse")).isFalse();
    assertThat(GeminiFormat.asksForEvents("https://g.example/m?alt=sse&")).isTrue();
    assertThat(GeminiFormat.asksForEvents("https://g.example/m?alt=ss")).isFalse();
  }

  @Test
  void onlyPostIsAGenerationCall() {
    assertThat(WireFormats.defaults().recognise("GET", GeminiBodies.GENERATE_PATH, NO_HEADERS))
        .isNull();
  }

  @Test
  void readsModelAllowanceChoicesAndFramingFromPathQueryAndBody() {
    String body =
        GeminiBodies.REQUEST.replace("\"temperature\"", "\"candidateCount\":2,\"temperature\"");
    WireRequest document = read(API + GeminiBodies.GENERATE_PATH, body);
    WireRequest events = read(API + GeminiBodies.STREAM_PATH + "?alt=sse", body);
    WireRequest array = read(API + GeminiBodies.STREAM_PATH + "?key=k", body);

    assertThat(document.model()).isEqualTo(GeminiBodies.MODEL);
    assertThat(document.stream()).isFalse();
    assertThat(document.maxOutputTokens()).hasValue(200);
    assertThat(document.maxOutputTokensField()).isEqualTo("generationConfig.maxOutputTokens");
    assertThat(document.choices()).isEqualTo(2);
    assertThat(document.parameter("temperature")).isEqualTo(1.0);
    assertThat(document.provider()).isEqualTo("gcp.gemini");
    assertThat(events.stream()).isTrue();
    assertThat(array.stream()).isTrue();
    assertThat(document.format().name()).isEqualTo("gemini.generate_content");
    assertThat(events.format().name()).isEqualTo("gemini.stream_generate_content.sse");
    assertThat(array.format().name()).isEqualTo("gemini.stream_generate_content");
    assertThat(
            read(VERTEX + "/publishers/google/models/gemini-2.0-flash:generateContent", body)
                .provider())
        .isEqualTo("gcp.vertex_ai");
  }

  @Test
  void anAllowanceOrCandidateCountWrittenAsAStringCountsAsGeminiReadsIt() {
    // Gemini reads its int32 fields by the proto3 JSON mapping, which takes "8" as 8: eight
    // candidates of 300 tokens each, which an access rule's output bound and the token limits must
    // see, not one candidate and the default allowance.
    String body =
        GeminiBodies.REQUEST
            .replace("\"maxOutputTokens\":200", "\"maxOutputTokens\":\"300\"")
            .replace("\"temperature\"", "\"candidateCount\":\"8\",\"temperature\"");
    assertThat(body).contains("\"maxOutputTokens\":\"300\"");
    WireRequest request = read(API + GeminiBodies.GENERATE_PATH, body);

    assertThat(request.maxOutputTokens()).hasValue(300);
    assertThat(request.maxOutputTokensField()).isEqualTo("generationConfig.maxOutputTokens");
    assertThat(request.choices()).isEqualTo(8);

    // Beyond a long: above every bound, as a number that large is.
    String huge =
        GeminiBodies.REQUEST.replace(
            "\"maxOutputTokens\":200", "\"maxOutputTokens\":\"99999999999999999999\"");
    assertThat(read(API + GeminiBodies.GENERATE_PATH, huge).maxOutputTokens())
        .hasValue(Long.MAX_VALUE);
    // Text that is no whole number reads as absent, as Gemini refuses it.
    String words =
        GeminiBodies.REQUEST.replace("\"maxOutputTokens\":200", "\"maxOutputTokens\":\"many\"");
    assertThat(read(API + GeminiBodies.GENERATE_PATH, words).maxOutputTokens()).isEmpty();
  }

  @Test
  void aBodyWithoutAllowanceOrThatIsNotJsonReadsAsAbsentValues() {
    WireRequest bare = read(API + GeminiBodies.GENERATE_PATH, "{\"contents\":[]}");
    WireRequest broken = read(API + GeminiBodies.GENERATE_PATH, "{not json");

    assertThat(bare.maxOutputTokens()).isEmpty();
    assertThat(bare.maxOutputTokensField()).isNull();
    assertThat(bare.choices()).isEqualTo(1);
    assertThat(broken.bodyUnderstood()).isFalse();
    assertThat(broken.model()).isEqualTo(GeminiBodies.MODEL);
    assertThat(broken.format().countPrompt(TokenCounter.defaults(), broken)).isZero();
  }

  @Test
  void thePromptEstimateErrsHighOnGooglesPublishedCount() {
    // ai.google.dev/api/tokens: "The quick brown fox jumps over the lazy dog." counts 10 with
    // countTokens and is reported as 11 prompt tokens by generateContent.
    WireRequest request =
        read(
            API + GeminiBodies.GENERATE_PATH,
            "{\"contents\":[{\"parts\":[{\"text\":\"The quick brown fox jumps over the lazy"
                + " dog.\"}]}]}");

    long estimate = request.format().countPrompt(TokenCounter.defaults(), request);

    assertThat(estimate).isBetween(11L, 15L);
  }

  @Test
  void anInlineTextPartCountsItsTextOnTheTreeAndOffTheBytes() {
    // Gemini reads inline text/plain data (a document pasted as a file) as text, not as an image.
    TokenCounter counter = TokenCounter.defaults();
    String text =
        "The quarterly report shows revenue grew by twelve percent while costs fell; the board "
            .repeat(1_000);
    String data =
        java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    long textTokens = counter.countText(GeminiBodies.MODEL, text);
    for (String member : new String[] {"inlineData", "inline_data"}) {
      String body =
          "{\"contents\":[{\"role\":\"user\",\"parts\":[{\""
              + member
              + "\":{\"mimeType\":\"text/plain\",\"data\":\""
              + data
              + "\"}},{\"text\":\"Summarise it.\"}]}]}";
      WireRequest request = read(API + GeminiBodies.GENERATE_PATH, body);

      long streamed = request.format().countPrompt(counter, request);
      long onTree =
          GeminiPrompt.estimate(
              counter, GeminiBodies.MODEL, read(API + GeminiBodies.GENERATE_PATH, body).body());

      assertThat(streamed).as(member).isEqualTo(onTree).isGreaterThan(textTokens * 6 / 5);
    }
  }

  @Test
  void thePromptEstimateCountsSystemInstructionTurnsMediaAndTools() {
    TokenCounter counter = TokenCounter.defaults();
    String text = "Describe this picture in three words.";
    String withMedia =
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\""
            + text
            + "\"},{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}}]}]}";
    WireRequest textOnly =
        read(API + GeminiBodies.GENERATE_PATH, withMedia.replaceAll(",\\{\"inlineData.*?}}", ""));
    WireRequest media = read(API + GeminiBodies.GENERATE_PATH, withMedia);
    WireRequest system =
        read(
            API + GeminiBodies.GENERATE_PATH,
            withMedia.replace(
                "{\"contents\"",
                "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be terse.\"}]},\"contents\""));

    long base = textOnly.format().countPrompt(counter, textOnly);
    assertThat(base)
        .isEqualTo(
            GeminiPrompt.TURN_TOKENS
                + (long) Math.ceil(counter.countText(GeminiBodies.MODEL, text) * 1.2));
    assertThat(media.format().countPrompt(counter, media) - base)
        .isEqualTo(GeminiPrompt.MEDIA_PART_TOKENS);
    assertThat(system.format().countPrompt(counter, system))
        .isGreaterThan(media.format().countPrompt(counter, media) + GeminiPrompt.TURN_TOKENS);
  }

  @Test
  void snakeCasePartsCountAsTheirCamelCaseNames() {
    // Gemini reads a part's members under either name (proto3 JSON), and its REST examples write
    // file_data, function_call and function_response: each counts as the camel-case one does,
    // off the bytes and on the tree.
    TokenCounter counter = TokenCounter.defaults();
    String result = "Sunny, 21 degrees, light wind from the west. ".repeat(200);
    String[][] parts = {
      {
        "{\"fileData\":{\"mimeType\":\"video/mp4\",\"fileUri\":\"gs://b/v.mp4\"}}",
        "{\"file_data\":{\"mime_type\":\"video/mp4\",\"file_uri\":\"gs://b/v.mp4\"}}"
      },
      {
        "{\"functionCall\":{\"name\":\"weather\",\"args\":{\"city\":\"Paris\"}}}",
        "{\"function_call\":{\"name\":\"weather\",\"args\":{\"city\":\"Paris\"}}}"
      },
      {
        "{\"functionResponse\":{\"name\":\"weather\",\"response\":{\"r\":\"" + result + "\"}}}",
        "{\"function_response\":{\"name\":\"weather\",\"response\":{\"r\":\"" + result + "\"}}}"
      }
    };
    for (String[] pair : parts) {
      long[] counts = new long[2];
      for (int k = 0; k < 2; k++) {
        String body =
            "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Go.\"}," + pair[k] + "]}]}";
        long streamed = countPrompt(counter, body);
        long onTree =
            GeminiPrompt.estimate(
                counter, GeminiBodies.MODEL, read(API + GeminiBodies.GENERATE_PATH, body).body());
        assertThat(streamed).as(pair[k]).isEqualTo(onTree);
        counts[k] = streamed;
      }
      assertThat(counts[1]).as(pair[1]).isEqualTo(counts[0]);
    }
  }

  @Test
  void codeExecutionPartsInTheHistoryCountAsText() {
    // A conversation that used the code execution tool sends back the code Gemini wrote and what
    // it printed (executableCode, codeExecutionResult): prompt the model reads again.
    TokenCounter counter = TokenCounter.defaults();
    String output = "row 17: revenue 1204.50, costs 877.25, margin 0.2717\\n".repeat(200);
    long outputTokens = counter.countText(GeminiBodies.MODEL, output);
    String[] parts = {
      "{\"codeExecutionResult\":{\"outcome\":\"OUTCOME_OK\",\"output\":\"" + output + "\"}}",
      "{\"code_execution_result\":{\"outcome\":\"OUTCOME_OK\",\"output\":\"" + output + "\"}}",
      "{\"executableCode\":{\"language\":\"PYTHON\",\"code\":\"" + output + "\"}}",
      "{\"executable_code\":{\"language\":\"PYTHON\",\"code\":\"" + output + "\"}}"
    };
    for (String part : parts) {
      String body = "{\"contents\":[{\"role\":\"model\",\"parts\":[" + part + "]}]}";
      long streamed = countPrompt(counter, body);
      long onTree =
          GeminiPrompt.estimate(
              counter, GeminiBodies.MODEL, read(API + GeminiBodies.GENERATE_PATH, body).body());

      assertThat(streamed)
          .as(part.substring(0, 30))
          .isEqualTo(onTree)
          .isGreaterThanOrEqualTo(outputTokens * 6 / 5);
    }
  }

  @Test
  void thePromptEstimateCountsAResponseSchema() {
    // Structured output: the response schema counts towards the prompt's tokens.
    TokenCounter counter = TokenCounter.defaults();
    String schema =
        "{\"type\":\"OBJECT\",\"properties\":{\"recipeName\":{\"type\":\"STRING\","
            + "\"description\":\"The name of the recipe, as a cookbook would print it\"},"
            + "\"ingredients\":{\"type\":\"ARRAY\",\"items\":{\"type\":\"STRING\"}}},"
            + "\"required\":[\"recipeName\",\"ingredients\"]}";
    String plain =
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"A cookie recipe.\"}]}]";
    long base = countPrompt(counter, plain + "}");
    long schemaTokens = counter.countText(GeminiBodies.MODEL, schema);
    for (String config :
        new String[] {
          ",\"generationConfig\":{\"responseMimeType\":\"application/json\",\"responseSchema\":",
          ",\"generationConfig\":{\"responseMimeType\":\"application/json\",\"responseJsonSchema\":",
          ",\"generation_config\":{\"response_mime_type\":\"application/json\",\"response_schema\":"
        }) {
      String body = plain + config + schema + "}}";

      long streamed = countPrompt(counter, body);
      long onTree =
          GeminiPrompt.estimate(
              counter, GeminiBodies.MODEL, read(API + GeminiBodies.GENERATE_PATH, body).body());

      assertThat(streamed)
          .as(config)
          .isEqualTo(onTree)
          .isGreaterThanOrEqualTo(base + schemaTokens * 6 / 5);
    }
  }

  private long countPrompt(TokenCounter counter, String body) {
    WireRequest request = read(API + GeminiBodies.GENERATE_PATH, body);
    return request.format().countPrompt(counter, request);
  }

  @Test
  void aDocumentsUsageIsReadInTheLibrarysTerms() throws IOException {
    WireRequest request = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);

    RecordingBodyListener.End end =
        observe(request, "application/json; charset=UTF-8", GeminiBodies.ANSWER, 3, 7, 1, 5);

    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.facts().usage()).isEqualTo(ANSWER_USAGE);
    assertThat(end.facts().model()).isEqualTo("gemini-2.0-flash-001");
    assertThat(end.facts().complete()).isTrue();
  }

  @Test
  void aDocumentsTextIsLearntOnlyWhenItReportsNoUsageOrTheLogKeepsIt() throws IOException {
    WireRequest request = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);
    String withoutUsage =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi \"},{\"text\":\"\\\"you\\\"\"}]},"
            + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"trafficType\":\"ON_DEMAND\"},"
            + "\"modelVersion\":\"gemini-2.0-flash-001\"}";

    RecordingBodyListener.End counted =
        observe(request, "application/json", GeminiBodies.ANSWER, 2, 5);
    RecordingBodyListener.End uncounted = observe(request, "application/json", withoutUsage, 4);

    assertThat(counted.facts().usage()).isEqualTo(ANSWER_USAGE);
    assertThat(counted.facts().text().toString()).isEmpty();
    assertThat(uncounted.facts().usage()).isNull();
    assertThat(uncounted.facts().model()).isEqualTo("gemini-2.0-flash-001");
    assertThat(uncounted.facts().complete()).isTrue();
    assertThat(uncounted.facts().text().toString()).isEqualTo("Hi \"you\"");

    byte[] answer = bytes(GeminiBodies.ANSWER);
    ResponseReadout kept = new ResponseReadout();
    kept.keepText();
    GeminiFormat.readDocument(kept, answer, 0, answer.length);
    ResponseReadout parsed = new ResponseReadout();
    parsed.keepText();
    GeminiFormat.readResponse(parsed, answer, 0, answer.length);
    assertThat(kept.usage()).isEqualTo(ANSWER_USAGE);
    assertThat(kept.text().toString()).isEqualTo(parsed.text().toString()).startsWith("Elara");
    ResponseReadout broken = new ResponseReadout();
    GeminiFormat.readDocument(broken, answer, 0, answer.length / 2);
    assertThat(broken.usage()).isNull();
    assertThat(broken.model()).isNull();
    assertThat(broken.text().toString()).isEmpty();
  }

  @Test
  void anEventStreamsUsageIsTheLastChunksAtAnySplit() throws IOException {
    WireRequest request = read(API + GeminiBodies.STREAM_PATH + "?alt=sse", GeminiBodies.REQUEST);
    for (int[] pieces : new int[][] {{1}, {2, 3}, {7}, {5, 1, 6}}) {
      RecordingBodyListener.End end =
          observe(request, "text/event-stream", GeminiBodies.EVENTS, pieces);

      assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(end.facts().usage()).isEqualTo(STREAM_USAGE);
      assertThat(end.facts().text().toString())
          .as("every chunk reports usage, which settles the call: no text is needed")
          .isEmpty();
    }
  }

  /** The fixture stream with every chunk's usageMetadata taken out. */
  private static String withoutUsage(String stream) {
    return stream.replaceAll(",\"usageMetadata\": \\{.*?\\},\"modelVersion\"", ",\"modelVersion\"");
  }

  @Test
  void aStreamWithoutUsageIsReadForItsWholeTextAtAnySplit() throws IOException {
    WireRequest events = read(API + GeminiBodies.STREAM_PATH + "?alt=sse", GeminiBodies.REQUEST);
    WireRequest array = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);
    assertThat(withoutUsage(GeminiBodies.ARRAY)).doesNotContain("usageMetadata");
    for (int[] pieces : new int[][] {{1}, {2, 3}, {7}, {4, 1, 6}}) {
      RecordingBodyListener.End fromEvents =
          observe(events, "text/event-stream", withoutUsage(GeminiBodies.EVENTS), pieces);
      RecordingBodyListener.End fromArray =
          observe(array, "application/json", withoutUsage(GeminiBodies.ARRAY), pieces);

      assertThat(fromEvents.facts().usage()).isNull();
      assertThat(fromEvents.facts().text().toString()).isEqualTo(GeminiBodies.STREAM_TEXT);
      assertThat(fromEvents.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(fromArray.facts().usage()).isNull();
      assertThat(fromArray.facts().text().toString()).isEqualTo(GeminiBodies.STREAM_TEXT);
      assertThat(fromArray.outcome()).isEqualTo(CallOutcome.SUCCESS);
    }
  }

  @Test
  void anArrayStreamIsReadElementByElementAtAnySplit() throws IOException {
    WireRequest request = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);
    for (int[] pieces : new int[][] {{1}, {2, 3}, {7}, {4, 1, 6}}) {
      RecordingBodyListener.End end =
          observe(request, "application/json; charset=UTF-8", GeminiBodies.ARRAY, pieces);

      assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(end.facts().usage()).isEqualTo(STREAM_USAGE);
      assertThat(end.facts().model()).isEqualTo("gemini-2.0-flash-001");
    }
  }

  /**
   * Values read where they lie (whole in one read) and values kept across reads teach the same: the
   * array stream and the document, in two reads split at every offset, and the array with its text
   * (no usage) likewise.
   */
  @Test
  void valuesWholeInOneReadAndSplitAcrossReadsAreReadTheSameAtEveryOffset() throws IOException {
    WireRequest array = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);
    WireRequest document = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);
    String noUsage = withoutUsage(GeminiBodies.ARRAY);
    for (String[] cases :
        new String[][] {
          {"array", GeminiBodies.ARRAY}, {"document", GeminiBodies.ANSWER}, {"no usage", noUsage}
        }) {
      byte[] body = bytes(cases[1]);
      WireRequest request = cases[0].equals("document") ? document : array;
      ResponseReadout whole = twoReads(request, body, body.length);
      assertThat(whole.complete()).as(cases[0]).isTrue();
      for (int split = 0; split <= body.length; split++) {
        ResponseReadout read = twoReads(request, body, split);
        String what = cases[0] + " split at " + split;
        assertThat(read.usage()).as(what).isEqualTo(whole.usage());
        assertThat(read.model()).as(what).isEqualTo(whole.model());
        assertThat(read.text().toString()).as(what).isEqualTo(whole.text().toString());
        assertThat(read.complete()).as(what).isTrue();
      }
    }
    assertThat(twoReads(array, bytes(noUsage), 0).text().toString())
        .isEqualTo(GeminiBodies.STREAM_TEXT);
  }

  @Test
  void aValueAboveTheBoundIsPassedUnreadWhetherWholeInOneReadOrNot() throws IOException {
    WireRequest request = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);
    byte[] body =
        bytes(
            "[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\""
                + "x".repeat(300)
                + "\"}]}}]},\n{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"}]}}]},"
                + "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"!\"}]},"
                + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,"
                + "\"candidatesTokenCount\":2,\"totalTokenCount\":5}}]");
    for (int split : new int[] {body.length, 5, 200, 330}) {
      RecordingBodyListener listener = new RecordingBodyListener();
      InputStream upstream =
          new java.io.SequenceInputStream(
              new ByteArrayInputStream(body, 0, split),
              new ByteArrayInputStream(body, split, body.length - split));
      ObservedBody observed =
          request.format().observeDocument(upstream, listener, () -> false, 200);
      assertThat(observed.readAllBytes()).isEqualTo(body);
      RecordingBodyListener.End end = listener.onlyEnd();
      assertThat(end.facts().usage()).as("split at %d", split).isEqualTo(Usage.of(3, 2));
      assertThat(end.facts().text().toString())
          .as("the first element, above the bound, is not read; the last reports usage")
          .isEqualTo("ok");
      assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    }
  }

  /** What reading {@code body} in two reads, split at {@code split}, teaches. */
  private static ResponseReadout twoReads(WireRequest request, byte[] body, int split)
      throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    InputStream upstream =
        new java.io.SequenceInputStream(
            new ByteArrayInputStream(body, 0, split),
            new ByteArrayInputStream(body, split, body.length - split));
    ObservedBody observed =
        request.format().observeDocument(upstream, listener, () -> false, 1 << 20);
    assertThat(observed.readAllBytes()).isEqualTo(body);
    return listener.onlyEnd().facts();
  }

  @Test
  void anArrayStreamKnowsItsUsageAsItsLastElementPassesBeforeTheEnd() throws IOException {
    WireRequest request = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);
    RecordingBodyListener listener = new RecordingBodyListener();
    byte[] body = bytes(GeminiBodies.ARRAY);
    ObservedBody observed =
        request
            .format()
            .observeDocument(new ByteArrayInputStream(body), listener, () -> false, 1 << 20);

    byte[] buffer = new byte[body.length];
    int n = observed.read(buffer, 0, body.length - 1); // all but the closing bracket
    observed.close();

    assertThat(n).isEqualTo(body.length - 1);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(STREAM_USAGE);
    assertThat(listener.onlyEnd().outcome())
        .as("the last chunk's finish reason completed the answer")
        .isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void aStreamCutBeforeItsFinishReasonIsTruncatedWithTheUsageSoFar() throws IOException {
    WireRequest request = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);
    String cut = GeminiBodies.ARRAY.substring(0, GeminiBodies.ARRAY.indexOf(" the attic"));

    RecordingBodyListener.End end = observe(request, "application/json", cut, 3);

    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.facts().usage()).isEqualTo(new Usage(15, 20, 35, 0, 0));
  }

  @Test
  void aStreamOfTwoCandidatesCutBeforeTheSecondFinishesIsTruncated() throws IOException {
    String body =
        GeminiBodies.REQUEST.replace("\"temperature\"", "\"candidateCount\":2,\"temperature\"");
    WireRequest request = read(API + GeminiBodies.STREAM_PATH + "?alt=sse", body);
    String stream =
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"One\"}],\"role\":\"model\"},"
            + "\"index\":0},{\"content\":{\"parts\":[{\"text\":\"Two\"}],\"role\":\"model\"},"
            + "\"index\":1}],\"usageMetadata\":{\"promptTokenCount\":8,\"candidatesTokenCount\":2,"
            + "\"totalTokenCount\":10}}\r\n\r\n"
            + "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" done\"}],"
            + "\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0},{\"content\":{\"parts\":"
            + "[{\"text\":\" and\"}],\"role\":\"model\"},\"index\":1}],\"usageMetadata\":"
            + "{\"promptTokenCount\":8,\"candidatesTokenCount\":4,\"totalTokenCount\":12}}\r\n\r\n";

    String last =
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" more\"}],"
            + "\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":1}],\"usageMetadata\":"
            + "{\"promptTokenCount\":8,\"candidatesTokenCount\":5,\"totalTokenCount\":13}}\r\n\r\n";

    RecordingBodyListener.End end = observe(request, "text/event-stream", stream, 5);
    RecordingBodyListener.End whole = observe(request, "text/event-stream", stream + last, 5);
    RecordingBodyListener.End array =
        observe(
            read(API + GeminiBodies.STREAM_PATH, body),
            "application/json",
            "[" + stream.replace("data: ", "").replace("}\r\n\r\n", "},\r\n"),
            3);

    assertThat(end.outcome())
        .as("the second candidate never finished: the answer is not whole")
        .isEqualTo(CallOutcome.TRUNCATED);
    assertThat(array.outcome()).as("an array stream cut alike").isEqualTo(CallOutcome.TRUNCATED);
    assertThat(whole.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(whole.facts().usage()).isEqualTo(Usage.of(8, 5));
  }

  @Test
  void earlyChunksWithoutCountsLeaveUsageUnknownAndABlockedPromptCompletes() throws IOException {
    WireRequest request = read(API + GeminiBodies.STREAM_PATH + "?alt=sse", GeminiBodies.REQUEST);

    RecordingBodyListener.End noCounts =
        observe(
            request,
            "text/event-stream",
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}],"
                + "\"usageMetadata\":{\"trafficType\":\"ON_DEMAND\"}}\r\n\r\n",
            4);
    RecordingBodyListener.End blocked =
        observe(
            request,
            "text/event-stream",
            "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"},"
                + "\"usageMetadata\":{\"promptTokenCount\":8,\"totalTokenCount\":8}}\r\n\r\n",
            6);

    assertThat(noCounts.facts().usage()).isNull();
    assertThat(noCounts.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(noCounts.facts().text().toString()).isEqualTo("Hi");
    assertThat(blocked.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(blocked.facts().usage()).isEqualTo(Usage.of(8, 0));
  }

  /**
   * A {@code usageMetadata} whose counts are written as JSON strings, as the proto3 JSON mapping
   * allows (Vertex AI writes some so), with {@code counts} the members to put in it.
   */
  private static String stringCounts(String counts, String finish) {
    return "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"}"
        + finish
        + "}],\"usageMetadata\":{"
        + counts
        + "},\"modelVersion\":\"gemini-2.0-flash-001\"}";
  }

  @Test
  void countsWrittenAsStringsAreReadInEveryFraming() throws IOException {
    String first = stringCounts("\"promptTokenCount\":\"12\",\"totalTokenCount\":\"12\"", "");
    String last =
        stringCounts(
            "\"promptTokenCount\":\"12\",\"candidatesTokenCount\":\"5\","
                + "\"totalTokenCount\":\"20\",\"thoughtsTokenCount\":\"3\","
                + "\"promptTokensDetails\":[{\"modality\":\"AUDIO\",\"tokenCount\":\"4\"}]",
            ",\"finishReason\":\"STOP\"");
    Usage reported = new Usage(12, 8, 20, 0, 3, 0, 4, 0, 0);
    WireRequest document = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);
    WireRequest events = read(API + GeminiBodies.STREAM_PATH + "?alt=sse", GeminiBodies.REQUEST);
    WireRequest array = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);
    String stream = "data: " + first + "\r\n\r\n" + "data: " + first + "\r\n\r\n";
    for (int[] pieces : new int[][] {{1}, {3, 7}, {7}}) {
      RecordingBodyListener.End fromDocument = observe(document, "application/json", last, pieces);
      RecordingBodyListener.End fromEvents =
          observe(events, "text/event-stream", stream + "data: " + last + "\r\n\r\n", pieces);
      RecordingBodyListener.End fromArray =
          observe(
              array, "application/json", "[" + first + ",\n" + first + ",\n" + last + "]", pieces);

      assertThat(fromDocument.facts().usage()).as("a document").isEqualTo(reported);
      assertThat(fromEvents.facts().usage()).as("an event stream").isEqualTo(reported);
      assertThat(fromArray.facts().usage()).as("an array stream").isEqualTo(reported);
      assertThat(fromEvents.outcome()).isEqualTo(CallOutcome.SUCCESS);
    }
  }

  @Test
  void aCountStringBeyondALongSaturatesAndOneThatIsNoNumberIsAbsent() throws IOException {
    WireRequest document = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);
    String finish = ",\"finishReason\":\"STOP\"";

    RecordingBodyListener.End beyond =
        observe(
            document,
            "application/json",
            stringCounts(
                "\"promptTokenCount\":\"9223372036854775808\","
                    + "\"candidatesTokenCount\":\"9223372036854775807\","
                    + "\"cachedContentTokenCount\":\"123456789012345678901234567890\"",
                finish),
            7);
    RecordingBodyListener.End garbage =
        observe(
            document,
            "application/json",
            stringCounts(
                "\"promptTokenCount\":\"12abc\",\"candidatesTokenCount\":\"\","
                    + "\"totalTokenCount\":\" 7\",\"thoughtsTokenCount\":\"1e3\","
                    + "\"toolUsePromptTokenCount\":\"-4\",\"cachedContentTokenCount\":\"0x10\"",
                finish),
            7);
    RecordingBodyListener.End mixed =
        observe(
            document,
            "application/json",
            stringCounts(
                "\"promptTokenCount\":\"12abc\",\"candidatesTokenCount\":\"6\","
                    + "\"totalTokenCount\":9",
                finish),
            7);

    assertThat(beyond.facts().usage())
        .isEqualTo(new Usage(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 0));
    assertThat(garbage.facts().usage()).as("no count that reads: no usage").isNull();
    assertThat(mixed.facts().usage()).isEqualTo(new Usage(0, 6, 9, 0, 0));
  }

  @Test
  void toolUsePromptTokensAreInputAndTheTotalIsSummedWhenAbsent() throws IOException {
    WireRequest request = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);

    RecordingBodyListener.End end =
        observe(
            request,
            "application/json",
            "{\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":10,"
                + "\"toolUsePromptTokenCount\":4,\"candidatesTokenCount\":3,"
                + "\"thoughtsTokenCount\":2}}",
            7);

    assertThat(end.facts().usage()).isEqualTo(new Usage(14, 5, 19, 0, 2));
  }

  @Test
  void aRejectionIsWrittenInGooglesErrorShape() throws IOException {
    WireFormat format = GeminiFormat.INSTANCE;

    JsonNode rate =
        JSON.readTree(
                format.errorBody(
                    new LocalError(RejectionReason.TOKEN_RATE_LIMIT, "Wait 3s.", null, null)))
            .get("error");
    JsonNode invalid =
        JSON.readTree(
                format.errorBody(
                    new LocalError(
                        RejectionReason.INVALID_REQUEST,
                        "Too large.",
                        "generationConfig.maxOutputTokens",
                        "integer_above_max_value")))
            .get("error");

    assertThat(rate.get("code").asInt()).isEqualTo(429);
    assertThat(rate.get("message").asText()).isEqualTo("Wait 3s.");
    assertThat(rate.get("status").asText()).isEqualTo("RESOURCE_EXHAUSTED");
    assertThat(rate.at("/details/0/@type").asText())
        .isEqualTo("type.googleapis.com/google.rpc.ErrorInfo");
    assertThat(rate.at("/details/0/reason").asText()).isEqualTo("TOKEN_RATE_LIMIT");
    assertThat(invalid.get("code").asInt()).isEqualTo(400);
    assertThat(invalid.get("status").asText()).isEqualTo("INVALID_ARGUMENT");
    assertThat(invalid.at("/details/0/metadata/code").asText())
        .isEqualTo("integer_above_max_value");
    assertThat(invalid.at("/details/1/fieldViolations/0/field").asText())
        .isEqualTo("generationConfig.maxOutputTokens");
    assertThat(format.errorContentType()).startsWith("application/json");
    assertThat(GeminiFormat.status(RejectionReason.TOKEN_QUOTA)).isEqualTo("RESOURCE_EXHAUSTED");
    assertThat(GeminiFormat.status(RejectionReason.MODEL_NOT_FOUND)).isEqualTo("NOT_FOUND");
    assertThat(GeminiFormat.status(RejectionReason.NO_BACKEND_AVAILABLE)).isEqualTo("UNAVAILABLE");
  }

  private static CachedResponse cached(CachedResponse.Format format, String body) {
    return new CachedResponse(
        format, bytes(body), "gemini-2.0-flash-001", STREAM_USAGE, Instant.EPOCH);
  }

  private static String replay(WireRequest request, CachedResponse cached) {
    Replayed replayed = request.format().replay(cached, request.stream(), false);
    return replayed == null ? null : new String(replayed.body(), StandardCharsets.UTF_8);
  }

  @Test
  void aCachedAnswerInTheCallsFramingIsReplayedByteForByte() {
    WireRequest document = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);
    WireRequest events = read(API + GeminiBodies.STREAM_PATH + "?alt=sse", GeminiBodies.REQUEST);
    WireRequest array = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);

    assertThat(replay(document, cached(CachedResponse.Format.JSON, GeminiBodies.ANSWER)))
        .isEqualTo(GeminiBodies.ANSWER);
    assertThat(replay(events, cached(CachedResponse.Format.SSE, GeminiBodies.EVENTS)))
        .isEqualTo(GeminiBodies.EVENTS);
    assertThat(replay(array, cached(CachedResponse.Format.JSON, GeminiBodies.ARRAY)))
        .isEqualTo(GeminiBodies.ARRAY);
    assertThat(
            events
                .format()
                .replay(cached(CachedResponse.Format.SSE, GeminiBodies.EVENTS), true, false)
                .contentType())
        .isEqualTo("text/event-stream");
  }

  @Test
  void aCachedAnswerIsConvertedBetweenFramingsButAStreamIsNeverMergedIntoADocument()
      throws IOException {
    WireRequest document = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);
    WireRequest events = read(API + GeminiBodies.STREAM_PATH + "?alt=sse", GeminiBodies.REQUEST);
    WireRequest array = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);
    String[] chunks = GeminiBodies.chunks();

    assertThat(replay(document, cached(CachedResponse.Format.SSE, GeminiBodies.EVENTS))).isNull();
    assertThat(replay(document, cached(CachedResponse.Format.JSON, GeminiBodies.ARRAY))).isNull();
    assertThat(replay(events, cached(CachedResponse.Format.JSON, GeminiBodies.ARRAY)))
        .isEqualTo(GeminiBodies.EVENTS);
    assertThat(replay(array, cached(CachedResponse.Format.SSE, GeminiBodies.EVENTS)))
        .isEqualTo("[" + String.join(",\r\n", chunks) + "]");
    assertThat(replay(events, cached(CachedResponse.Format.JSON, GeminiBodies.ANSWER)))
        .as("Google's pretty-printed document as one event on one data line")
        .isEqualTo("data: " + GeminiBodies.ANSWER.replace("\n", "") + "\r\n\r\n");
    String pretty =
        "[" + GeminiBodies.ANSWER + ",\r\n" + GeminiBodies.ANSWER.replace("\n", "\r\n") + "]";
    String prettyAsEvents = replay(events, cached(CachedResponse.Format.JSON, pretty));
    for (String line : prettyAsEvents.split("\r\n")) {
      assertThat(line.isEmpty() || line.startsWith("data: "))
          .as("every line of the events is a data line or blank: " + line)
          .isTrue();
    }
    List<byte[]> data = GeminiReplay.eventData(bytes(prettyAsEvents));
    assertThat(data).hasSize(2);
    for (byte[] response : data) {
      assertThat(JSON.readTree(response)).isEqualTo(JSON.readTree(GeminiBodies.ANSWER));
    }
    String asArray = replay(array, cached(CachedResponse.Format.JSON, GeminiBodies.ANSWER));
    assertThat(JSON.readTree(asArray).get(0)).isEqualTo(JSON.readTree(GeminiBodies.ANSWER));
  }

  @Test
  void eventDataIsReadAcrossLineEndingsAndMultiLineEvents() {
    List<byte[]> data =
        GeminiReplay.eventData(
            bytes("data: {\"a\":1}\n\ndata:{\"b\":\ndata: 2}\r\rdata: [DONE]\r\n\r\ndata: {}"));

    assertThat(data)
        .extracting(d -> new String(d, StandardCharsets.UTF_8))
        .containsExactly("{\"a\":1}", "{\"b\":\n2}", "{}");
  }

  @Test
  void aModelWithDotSegmentsStaysOneModelUnderTheBase() {
    // A model decoded from the path (models/x%2F..%2F..:generateContent) that names dot segments:
    // put in the URL as it is, the HTTP client resolved them, and the call left the model's
    // collection (and, on Vertex AI, the backend's project) with the backend's credential.
    WireRequest document = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);

    assertThat(
            document
                .format()
                .backendUrl(
                    BackendFlavor.GEMINI, API, null, "gemini-2.5-flash/../../tunedModels/secret"))
        .isEqualTo(
            API
                + "/v1beta/models/gemini-2.5-flash%2F..%2F..%2FtunedModels%2Fsecret:generateContent");
    assertThat(
            document
                .format()
                .backendUrl(
                    BackendFlavor.VERTEX_AI,
                    VERTEX,
                    null,
                    "endpoints/../../../../other/locations/l/endpoints/1"))
        .isEqualTo(
            VERTEX
                + "/publishers/google/models/endpoints%2F..%2F..%2F..%2F..%2Fother%2Flocations%2Fl"
                + "%2Fendpoints%2F1:generateContent");
    assertThat(document.format().backendUrl(BackendFlavor.GEMINI, API, null, "tunedModels/./x"))
        .isEqualTo(API + "/v1beta/models/tunedModels%2F.%2Fx:generateContent");
    assertThat(document.format().backendUrl(BackendFlavor.GEMINI, API, null, "tunedModels//x"))
        .isEqualTo(API + "/v1beta/models/tunedModels%2F%2Fx:generateContent");
    assertThat(
            document.format().backendUrl(BackendFlavor.GEMINI, API, null, "tunedModels/%2e%2e/x"))
        .as("an encoded dot segment is encoded again, no dot segment")
        .isEqualTo(API + "/v1beta/tunedModels/%252e%252e/x:generateContent");
  }

  @Test
  void theBackendUrlKeepsTheMethodAndFramingAndPutsTheModelInThePath() {
    WireRequest document = read(API + GeminiBodies.GENERATE_PATH, GeminiBodies.REQUEST);
    WireRequest events =
        read(API + GeminiBodies.STREAM_PATH + "?alt=sse&key=secret", GeminiBodies.REQUEST);
    WireRequest array = read(API + GeminiBodies.STREAM_PATH, GeminiBodies.REQUEST);

    assertThat(document.format().backendUrl(BackendFlavor.GEMINI, API, null, "gemini-2.5-pro"))
        .isEqualTo(API + "/v1beta/models/gemini-2.5-pro:generateContent");
    assertThat(events.format().backendUrl(BackendFlavor.GEMINI, API + "/v1beta", null, "g"))
        .isEqualTo(API + "/v1beta/models/g:streamGenerateContent?alt=sse");
    assertThat(array.format().backendUrl(BackendFlavor.VERTEX_AI, VERTEX, null, "gemini-2.5-pro"))
        .isEqualTo(VERTEX + "/publishers/google/models/gemini-2.5-pro:streamGenerateContent");
    assertThat(document.format().backendUrl(BackendFlavor.VERTEX_AI, VERTEX, null, "endpoints/42"))
        .isEqualTo(VERTEX + "/endpoints/42:generateContent");
    assertThat(document.format().backendUrl(BackendFlavor.GEMINI, API, null, "tunedModels/t1"))
        .isEqualTo(API + "/v1beta/tunedModels/t1:generateContent");
    assertThat(document.format().backendUrl(BackendFlavor.GEMINI, API, null, "tunedModels/a b?c#d"))
        .as("each segment of a model naming its collection is encoded")
        .isEqualTo(API + "/v1beta/tunedModels/a%20b%3Fc%23d:generateContent");
    assertThat(document.format().modelInBody(BackendFlavor.GEMINI)).isFalse();
    assertThat(document.format().bodyForBackend(document, "other", true)).isNull();
  }
}
