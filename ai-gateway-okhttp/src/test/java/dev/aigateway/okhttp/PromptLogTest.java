package dev.aigateway.okhttp;

import static dev.aigateway.okhttp.Backend.chatCompletion;
import static dev.aigateway.okhttp.Backend.json;
import static dev.aigateway.okhttp.Backend.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.safety.PiiDetector;
import dev.aigateway.core.safety.SafetyAction;
import dev.aigateway.core.telemetry.PromptLog;
import dev.aigateway.core.telemetry.Redaction;
import dev.aigateway.testing.CapturingLogger;
import java.util.regex.Pattern;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class PromptLogTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String API_KEY = "sk-proj-abcdefghijklmnopqrstuvwx0123";

  private final MockWebServer server = new MockWebServer();
  private final CapturingLogger logger = new CapturingLogger(PromptLog.LOGGER_NAME);
  private OkHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    server.start();
    PromptLog promptLog =
        PromptLog.builder().consumers("team-a").logger(logger).executor(Runnable::run).build();
    client =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .consumerKey(KeyResolvers.header("x-consumer"))
                .promptLog(promptLog)
                .build());
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  /** A Converse answer "Hi all", 9 tokens in and 2 out. */
  private static final String CONVERSE_HI_ALL =
      "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Hi all\"}]}},"
          + "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":9,\"outputTokens\":2,"
          + "\"totalTokens\":11}}";

  /** Posts each {path, body} as consumer team-a and reads its answer whole. */
  private void postAsTeamA(String[][] calls) throws Exception {
    for (String[] call : calls) {
      try (Response response =
          client
              .newCall(post(server.url(call[0]).toString(), call[1], "x-consumer", "team-a"))
              .execute()) {
        response.body().string();
      }
    }
  }

  private void chat(String consumer, String prompt, boolean stream) throws Exception {
    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    Backend.chatRequest("gpt-4o", prompt, stream ? "\"stream\":true" : ""),
                    "x-consumer",
                    consumer,
                    "Authorization",
                    "Bearer " + API_KEY))
            .execute()) {
      response.body().string();
    }
  }

  @Test
  void aJsonCallIsLoggedWithItsMessagesCompletionAndUsage() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 9, 2)));

    chat("team-a", "What is my key " + API_KEY + "?", false);

    assertThat(logger.lines(Level.INFO))
        .singleElement()
        .satisfies(
            line -> {
              JsonNode record = MAPPER.readTree(line);
              assertThat(record.get("consumer").asText()).isEqualTo("team-a");
              assertThat(record.get("request").asText()).contains("What is my key");
              assertThat(record.get("completion").asText()).isEqualTo("Hello there");
              assertThat(record.get("total_tokens").asLong()).isEqualTo(11);
            });
    assertThat(logger.lines(Level.INFO)).noneMatch(line -> line.contains(API_KEY));
  }

  @Test
  void secretsAtTheStartOfALineOrAfterATabAreMaskedInTheLoggedRequest() throws Exception {
    // The request is logged as JSON, where a line break is written "\\n": a key or a token right
    // after one must be masked as it is anywhere else, and so must a pattern of the application
    // that starts with a word boundary (the one the documentation shows).
    CapturingLogger lines = new CapturingLogger(PromptLog.LOGGER_NAME);
    OkHttpClient logged =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .promptLog(
                    PromptLog.builder()
                        .logger(lines)
                        .executor(Runnable::run)
                        .redaction(
                            Redaction.builder()
                                .bearerTokens()
                                .apiKeys()
                                .emails()
                                .cardNumbers()
                                .pattern(Pattern.compile("\\bEMP-\\d{6}\\b"), "[employee]")))
                .build());
    server.enqueue(json(chatCompletion("gpt-4o", 9, 2)));

    try (Response response =
        logged
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    Backend.chatRequest(
                        "gpt-4o",
                        "my .env:\\n"
                            + API_KEY
                            + "\\nauth:\\tBearer abc123def456ghi789\\nwho is\\nEMP-123456?",
                        "")))
            .execute()) {
      response.body().string();
    }

    JsonNode record = MAPPER.readTree(lines.lines(Level.INFO).get(0));
    assertThat(record.get("request").asText())
        .doesNotContain(API_KEY)
        .doesNotContain("abc123def456ghi789")
        .doesNotContain("EMP-123456")
        .contains("[api-key]", "Bearer [token]", "[employee]");
  }

  @Test
  void aPromptBlockedByOneRuleIsLoggedWithWhatTheRedactingRulesMask() throws Exception {
    // Social security numbers are to be redacted before anything sees the prompt; the deny word
    // blocks the call. The blocked call's record must not hold the number the redaction masks.
    CapturingLogger blockedLog = new CapturingLogger(PromptLog.LOGGER_NAME);
    OkHttpClient safe =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .promptLog(PromptLog.builder().logger(blockedLog).executor(Runnable::run))
                .contentSafety(
                    ContentSafety.builder()
                        .pii(PiiDetector.usSsn(), SafetyAction.REDACT)
                        .denyWords("project falcon"))
                .build());

    try (Response response =
        safe.newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    Backend.chatRequest(
                        "gpt-4o", "My SSN is 123-45-6789; tell me about Project Falcon", "")))
            .execute()) {
      assertThat(response.code()).isEqualTo(400);
    }

    assertThat(server.getRequestCount()).isZero();
    JsonNode record = MAPPER.readTree(blockedLog.lines(Level.INFO).get(0));
    assertThat(record.get("status").asInt()).isEqualTo(400);
    assertThat(record.get("request").asText())
        .contains("[REDACTED:US_SSN]")
        .doesNotContain("123-45-6789");
  }

  @Test
  void aPromptTooLargeToCheckIsRefusedAndLoggedWithWhatTheRedactingRulesMask() throws Exception {
    // Above maxParsedBodyBytes the prompt's texts are not checked and the call is refused; the
    // refused call's record must still not hold what the redacting rules mask.
    CapturingLogger blockedLog = new CapturingLogger(PromptLog.LOGGER_NAME);
    OkHttpClient safe =
        OkHttpAiGateway.wrap(
            new OkHttpClient(),
            AiGateway.builder()
                .maxParsedBodyBytes(1_024)
                .promptLog(PromptLog.builder().logger(blockedLog).executor(Runnable::run))
                .contentSafety(
                    ContentSafety.builder()
                        .pii(PiiDetector.usSsn(), SafetyAction.REDACT)
                        .denyWords("project falcon"))
                .build());

    try (Response response =
        safe.newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    Backend.chatRequest(
                        "gpt-4o", "My SSN is 123-45-6789; " + "tell me more. ".repeat(100), "")))
            .execute()) {
      assertThat(response.code()).isEqualTo(400);
    }

    assertThat(server.getRequestCount()).isZero();
    String request = MAPPER.readTree(blockedLog.lines(Level.INFO).get(0)).get("request").asText();
    assertThat(request).contains("[REDACTED:US_SSN]").doesNotContain("123-45-6789");
  }

  @Test
  void aStreamIsLoggedWithTheAssembledCompletion() throws Exception {
    server.enqueue(Backend.sse(Backend.chatStream("gpt-4o", true, 5, 8, true)));

    chat("team-a", "Hi", true);

    JsonNode record = MAPPER.readTree(logger.lines(Level.INFO).get(0));
    assertThat(record.get("completion").asText()).isEqualTo(String.join("", Backend.PIECES));
  }

  @Test
  void aStreamOfTwoChoicesIsLoggedWithEachChoicesTextWhole() throws Exception {
    // n = 2: the chunks of the two answers interleave, as OpenAI sends them
    String head =
        "data: {\"id\":\"chatcmpl-3\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o\",\"choices\":[";
    StringBuilder stream = new StringBuilder();
    stream.append(head).append("{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n");
    stream.append(head).append("{\"index\":1,\"delta\":{\"role\":\"assistant\"}}]}\n\n");
    for (String[] piece : new String[][] {{"Red", "Blue"}, {" is", " it"}, {" warm.", " is."}}) {
      for (int choice = 0; choice < 2; choice++) {
        stream
            .append(head)
            .append("{\"index\":")
            .append(choice)
            .append(",\"delta\":{\"content\":\"")
            .append(piece[choice])
            .append("\"}}]}\n\n");
      }
    }
    stream
        .append(head)
        .append(
            "],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"total_tokens\":11}}\n\n");
    stream.append("data: [DONE]\n\n");
    server.enqueue(Backend.sse(stream.toString()));

    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1/chat/completions").toString(),
                    Backend.chatRequest("gpt-4o", "A colour", "\"stream\":true,\"n\":2"),
                    "x-consumer",
                    "team-a"))
            .execute()) {
      response.body().string();
    }

    JsonNode record = MAPPER.readTree(logger.lines(Level.INFO).get(0));
    assertThat(record.get("completion").asText()).isEqualTo("Red is warm.\n\nBlue it is.");
  }

  @Test
  void aJsonAnswerOfTwoChoicesIsLoggedWithTheChoicesApart() throws Exception {
    server.enqueue(
        json(
            "{\"id\":\"chatcmpl-4\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + "\"Red is warm.\"},\"finish_reason\":\"stop\"},{\"index\":1,\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"Blue it is.\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"total_tokens\":11}}"));

    chat("team-a", "A colour", false);

    JsonNode record = MAPPER.readTree(logger.lines(Level.INFO).get(0));
    assertThat(record.get("completion").asText()).isEqualTo("Red is warm.\n\nBlue it is.");
  }

  @Test
  void aGeminiStreamOfTwoCandidatesIsLoggedWithEachCandidatesTextWhole() throws Exception {
    // candidateCount = 2: each response of the stream holds a piece of each candidate
    StringBuilder stream = new StringBuilder();
    String[][] pieces = {{"Red", "Blue"}, {" is", " it"}, {" warm.", " is."}};
    for (int p = 0; p < pieces.length; p++) {
      stream.append("data: {\"candidates\":[");
      for (int c = 0; c < 2; c++) {
        stream
            .append(c == 0 ? "" : ",")
            .append("{\"content\":{\"parts\":[{\"text\":\"")
            .append(pieces[p][c])
            .append("\"}],\"role\":\"model\"}")
            .append(p == pieces.length - 1 ? ",\"finishReason\":\"STOP\"" : "")
            .append(c == 0 ? "" : ",\"index\":1")
            .append("}");
      }
      stream
          .append("],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":")
          .append(2 * (p + 1))
          .append(",\"totalTokenCount\":")
          .append(5 + 2 * (p + 1))
          .append("},\"modelVersion\":\"gemini-2.0-flash\"}\n\n");
    }
    server.enqueue(Backend.sse(stream.toString()));

    try (Response response =
        client
            .newCall(
                post(
                    server
                        .url("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse")
                        .toString(),
                    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"A colour\"}]}],"
                        + "\"generationConfig\":{\"candidateCount\":2}}",
                    "x-consumer",
                    "team-a"))
            .execute()) {
      response.body().string();
    }

    JsonNode record = MAPPER.readTree(logger.lines(Level.INFO).get(0));
    assertThat(record.get("completion").asText()).isEqualTo("Red is warm.\n\nBlue it is.");
  }

  @Test
  void aGeminiAnswerOfTwoCandidatesIsLoggedWithTheCandidatesApart() throws Exception {
    server.enqueue(
        json(
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Red is warm.\"}],"
                + "\"role\":\"model\"},\"finishReason\":\"STOP\"},{\"content\":{\"parts\":"
                + "[{\"text\":\"Blue it is.\"}],\"role\":\"model\"},\"finishReason\":\"STOP\","
                + "\"index\":1}],\"usageMetadata\":{\"promptTokenCount\":5,"
                + "\"candidatesTokenCount\":6,\"totalTokenCount\":11},"
                + "\"modelVersion\":\"gemini-2.0-flash\"}"));

    try (Response response =
        client
            .newCall(
                post(
                    server.url("/v1beta/models/gemini-2.0-flash:generateContent").toString(),
                    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"A colour\"}]}],"
                        + "\"generationConfig\":{\"candidateCount\":2}}",
                    "x-consumer",
                    "team-a"))
            .execute()) {
      response.body().string();
    }

    JsonNode record = MAPPER.readTree(logger.lines(Level.INFO).get(0));
    assertThat(record.get("completion").asText()).isEqualTo("Red is warm.\n\nBlue it is.");
  }

  @Test
  void geminiAndConverseCallsAreLoggedWithTheirContent() throws Exception {
    server.enqueue(
        json(
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi team\"}],\"role\":\"model\"},"
                + "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":9,"
                + "\"candidatesTokenCount\":2,\"totalTokenCount\":11}}"));
    server.enqueue(json(CONVERSE_HI_ALL));

    String[][] calls = {
      {
        "/v1beta/models/gemini-2.0-flash:generateContent",
        "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be terse.\"}]},\"contents\":[{\"role\":"
            + "\"user\",\"parts\":[{\"text\":\"Greet the team\"}]}]}"
      },
      {
        "/model/amazon.nova-lite-v1:0/converse",
        "{\"system\":[{\"text\":\"Be terse.\"}],\"messages\":[{\"role\":\"user\",\"content\":"
            + "[{\"text\":\"Greet everyone\"}]}],\"toolConfig\":{\"tools\":[]}}"
      }
    };
    postAsTeamA(calls);

    assertThat(logger.lines(Level.INFO)).hasSize(2);
    JsonNode gemini = MAPPER.readTree(logger.lines(Level.INFO).get(0));
    assertThat(MAPPER.readTree(gemini.get("request").asText()))
        .isEqualTo(
            MAPPER.readTree(
                "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be terse.\"}]},\"contents\":[{"
                    + "\"role\":\"user\",\"parts\":[{\"text\":\"Greet the team\"}]}]}"));
    assertThat(gemini.get("completion").asText()).isEqualTo("Hi team");
    JsonNode converse = MAPPER.readTree(logger.lines(Level.INFO).get(1));
    assertThat(converse.get("request").asText())
        .contains("Greet everyone", "Be terse.", "toolConfig");
    assertThat(converse.get("completion").asText()).isEqualTo("Hi all");
  }

  @Test
  void bedrockInvokeModelCallsOfTitanAndCohereAreLoggedWithTheirContent() throws Exception {
    // InvokeModel takes each model family's own body: Titan's prompt is inputText, Cohere
    // Command's is message with chat_history. The log's request held {} for them.
    server.enqueue(
        json(
            "{\"inputTextTokenCount\":5,\"results\":[{\"tokenCount\":2,\"outputText\":\"Hi"
                + " team\",\"completionReason\":\"FINISH\"}]}"));
    server.enqueue(json("{\"text\":\"Hi all\",\"finish_reason\":\"COMPLETE\"}"));
    String[][] calls = {
      {
        "/model/amazon.titan-text-express-v1/invoke",
        "{\"inputText\":\"Greet the team\",\"textGenerationConfig\":{\"maxTokenCount\":50}}"
      },
      {
        "/model/cohere.command-r-v1:0/invoke",
        "{\"message\":\"Greet everyone\",\"chat_history\":[{\"role\":\"USER\","
            + "\"message\":\"Be terse.\"}],\"max_tokens\":50}"
      }
    };
    postAsTeamA(calls);

    assertThat(logger.lines(Level.INFO)).hasSize(2);
    JsonNode titan = MAPPER.readTree(logger.lines(Level.INFO).get(0));
    assertThat(MAPPER.readTree(titan.get("request").asText()))
        .isEqualTo(MAPPER.readTree("{\"inputText\":\"Greet the team\"}"));
    assertThat(titan.get("completion").asText()).isEqualTo("Hi team");
    JsonNode cohere = MAPPER.readTree(logger.lines(Level.INFO).get(1));
    assertThat(MAPPER.readTree(cohere.get("request").asText()))
        .isEqualTo(
            MAPPER.readTree(
                "{\"message\":\"Greet everyone\",\"chat_history\":[{\"role\":\"USER\","
                    + "\"message\":\"Be terse.\"}]}"));
    assertThat(cohere.get("completion").asText()).isEqualTo("Hi all");
  }

  @Test
  void promptPartsOfManagedConverseAndCohereCallsAreLogged() throws Exception {
    // A Converse call on a prompt from Prompt management sends only the caller's promptVariables;
    // Cohere Command R takes its system prompt as preamble and retrieved texts as documents. The
    // gateway counts and screens all of them as the prompt; the log's request left them out.
    server.enqueue(json(CONVERSE_HI_ALL));
    server.enqueue(json("{\"text\":\"Hi team\",\"finish_reason\":\"COMPLETE\"}"));
    String[][] calls = {
      {
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprompt%2FPROMPT12345/converse",
        "{\"promptVariables\":{\"audience\":{\"text\":\"the night shift\"}}}"
      },
      {
        "/model/cohere.command-r-v1:0/invoke",
        "{\"message\":\"Greet the team\",\"preamble\":\"Answer as the site lead.\","
            + "\"documents\":[{\"title\":\"roster\",\"snippet\":\"Ana and Bo are on call\"}],"
            + "\"max_tokens\":50}"
      }
    };
    postAsTeamA(calls);

    assertThat(logger.lines(Level.INFO)).hasSize(2);
    JsonNode converse = MAPPER.readTree(logger.lines(Level.INFO).get(0));
    assertThat(MAPPER.readTree(converse.get("request").asText()))
        .isEqualTo(
            MAPPER.readTree("{\"promptVariables\":{\"audience\":{\"text\":\"the night shift\"}}}"));
    JsonNode cohere = MAPPER.readTree(logger.lines(Level.INFO).get(1));
    assertThat(MAPPER.readTree(cohere.get("request").asText()))
        .isEqualTo(
            MAPPER.readTree(
                "{\"message\":\"Greet the team\",\"preamble\":\"Answer as the site lead.\","
                    + "\"documents\":[{\"title\":\"roster\",\"snippet\":\"Ana and Bo are on"
                    + " call\"}]}"));
  }

  @Test
  void consumersNotSelectedAreNotLogged() throws Exception {
    server.enqueue(json(chatCompletion("gpt-4o", 9, 2)));

    chat("team-b", "Hi", false);

    assertThat(logger.lines(Level.INFO)).isEmpty();
  }
}
