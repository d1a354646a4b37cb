package dev.aigateway.benchmarks;

import dev.aigateway.core.wire.EventStreamMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Requests and answers of the non-OpenAI protocols for the per-call benchmarks, carrying the same
 * words as {@link CannedBackend}'s OpenAI answers: a system prompt and one user turn with an output
 * bound of 64 in, {@value #WORD_COUNT} words out, usage reported as each provider reports it (14
 * prompt tokens, one output token per word). Shapes follow the providers' documented examples.
 */
final class ProviderBodies {

  static final String[] WORDS =
      ("Hello team, good to see you all here today. The "
              + "gateway keeps count of every token, so carry")
          .split(" ");

  /** The number of words (and output tokens) of every answer. */
  static final int WORD_COUNT = 18;

  static final int PROMPT_TOKENS = 14;

  static final String ANTHROPIC_URL = "https://api.anthropic.com/v1/messages";
  static final String BEDROCK_BASE =
      "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-haiku-20241022-v1:0/";

  static final byte[] ANTHROPIC_REQUEST = anthropicRequest(false);
  static final byte[] ANTHROPIC_STREAM_REQUEST = anthropicRequest(true);

  /** Claude on Bedrock: Anthropic's body with Bedrock's version and neither model nor stream. */
  static final byte[] BEDROCK_CLAUDE_REQUEST =
      utf8(
          "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":64,"
              + "\"system\":\"You are a terse assistant.\",\"messages\":[{\"role\":\"user\","
              + "\"content\":\"Say hello to the team in five words.\"}]}");

  static final byte[] CONVERSE_REQUEST =
      utf8(
          "{\"system\":[{\"text\":\"You are a terse assistant.\"}],\"messages\":[{\"role\":"
              + "\"user\",\"content\":[{\"text\":\"Say hello to the team in five words.\"}]}],"
              + "\"inferenceConfig\":{\"maxTokens\":64}}");

  static final byte[] ANTHROPIC_MESSAGE =
      utf8(
          "{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\","
              + "\"model\":\"claude-3-5-haiku-20241022\",\"content\":[{\"type\":\"text\","
              + "\"text\":\""
              + String.join(" ", WORDS)
              + "\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{"
              + "\"input_tokens\":14,\"cache_creation_input_tokens\":0,"
              + "\"cache_read_input_tokens\":0,\"output_tokens\":18}}");

  /** Anthropic's events as JSON: start, block start, a delta per word, block stop, delta, stop. */
  static final String[] ANTHROPIC_EVENT_JSON = anthropicEvents();

  /** {@link #ANTHROPIC_EVENT_JSON} as Anthropic's server-sent events, each named. */
  static final byte[] ANTHROPIC_EVENTS = anthropicSse();

  /**
   * {@link #ANTHROPIC_EVENT_JSON} as Bedrock's InvokeModelWithResponseStream: one {@code chunk}
   * frame each, the last with Bedrock's invocation metrics.
   */
  static final byte[] BEDROCK_CLAUDE_STREAM = bedrockClaudeStream();

  static final byte[] CONVERSE_ANSWER =
      utf8(
          "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\""
              + String.join(" ", WORDS)
              + "\"}]}},\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":14,"
              + "\"outputTokens\":18,\"totalTokens\":32},\"metrics\":{\"latencyMs\":412}}");

  /** ConverseStream: messageStart, a delta per word, block stop, messageStop, metadata. */
  static final byte[] CONVERSE_STREAM = converseStream();

  private ProviderBodies() {}

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** The text of word {@code i} as streamed: a space before every word but the first. */
  static String piece(int i) {
    return (i == 0 ? "" : " ") + WORDS[i];
  }

  private static byte[] anthropicRequest(boolean stream) {
    return utf8(
        "{\"model\":\"claude-3-5-haiku-20241022\",\"max_tokens\":64,"
            + (stream ? "\"stream\":true," : "")
            + "\"system\":\"You are a terse assistant.\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Say hello to the team in five words.\"}]}");
  }

  private static String[] anthropicEvents() {
    String[] events = new String[WORDS.length + 5];
    int n = 0;
    events[n++] =
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\","
            + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\","
            + "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{"
            + "\"input_tokens\":14,\"cache_creation_input_tokens\":0,"
            + "\"cache_read_input_tokens\":0,\"output_tokens\":1}}}";
    events[n++] =
        "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
            + "\"text\":\"\"}}";
    for (int i = 0; i < WORDS.length; i++) {
      events[n++] =
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
              + "\"text\":\""
              + piece(i)
              + "\"}}";
    }
    events[n++] = "{\"type\":\"content_block_stop\",\"index\":0}";
    events[n++] =
        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
            + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":18}}";
    events[n++] = "{\"type\":\"message_stop\"}";
    return events;
  }

  private static byte[] anthropicSse() {
    StringBuilder sse = new StringBuilder();
    for (String event : ANTHROPIC_EVENT_JSON) {
      String type = event.substring(9, event.indexOf('"', 9));
      sse.append("event: ").append(type).append("\ndata: ").append(event).append("\n\n");
    }
    return utf8(sse.toString());
  }

  private static byte[] bedrockClaudeStream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < ANTHROPIC_EVENT_JSON.length; i++) {
      String event = ANTHROPIC_EVENT_JSON[i];
      if (i == ANTHROPIC_EVENT_JSON.length - 1) {
        event =
            "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{"
                + "\"inputTokenCount\":14,\"outputTokenCount\":18,\"invocationLatency\":611,"
                + "\"firstByteLatency\":287}}";
      }
      String bytes = Base64.getEncoder().encodeToString(utf8(event));
      out.writeBytes(
          EventStreamMessage.event("chunk", utf8("{\"bytes\":\"" + bytes + "\",\"p\":\"abcd\"}"))
              .encode());
    }
    return out.toByteArray();
  }

  private static byte[] converseStream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        EventStreamMessage.event("messageStart", utf8("{\"p\":\"abcd\",\"role\":\"assistant\"}"))
            .encode());
    for (int i = 0; i < WORDS.length; i++) {
      out.writeBytes(
          EventStreamMessage.event(
                  "contentBlockDelta",
                  utf8(
                      "{\"contentBlockIndex\":0,\"delta\":{\"text\":\""
                          + piece(i)
                          + "\"},\"p\":\"abcdef\"}"))
              .encode());
    }
    out.writeBytes(
        EventStreamMessage.event("contentBlockStop", utf8("{\"contentBlockIndex\":0}")).encode());
    out.writeBytes(
        EventStreamMessage.event("messageStop", utf8("{\"stopReason\":\"end_turn\"}")).encode());
    out.writeBytes(
        EventStreamMessage.event(
                "metadata",
                utf8(
                    "{\"usage\":{\"inputTokens\":14,\"outputTokens\":18,\"totalTokens\":32},"
                        + "\"metrics\":{\"latencyMs\":380}}"))
            .encode());
    return out.toByteArray();
  }
}
