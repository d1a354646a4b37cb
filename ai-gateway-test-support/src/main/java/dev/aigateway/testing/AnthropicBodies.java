package dev.aigateway.testing;

/**
 * Anthropic Messages answers as the tests' backends serve them, shaped as Anthropic's API reference
 * documents them: a message ({@code type: message}, content blocks, {@code usage} with the
 * prompt-cache counts) and the event stream ({@code message_start}, {@code content_block_start},
 * {@code ping}, {@code content_block_delta}s, {@code content_block_stop}, {@code message_delta},
 * {@code message_stop}), each event with its {@code event:} line.
 */
public final class AnthropicBodies {

  private AnthropicBodies() {}

  /** A message answering {@code text}, its usage as given (cache counts 0 unless given). */
  public static String message(String text, int input, int output) {
    return message(text, input, output, 0, 0);
  }

  /** A message answering {@code text} whose usage has prompt-cache writes and reads. */
  public static String message(String text, int input, int output, int cacheWrite, int cacheRead) {
    return "{\"id\":\"msg_013Zva2CMHLNnXjNJJKqJ2EF\",\"type\":\"message\",\"role\":\"assistant\","
        + "\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":\"text\",\"text\":\""
        + text
        + "\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":"
        + input
        + ",\"cache_creation_input_tokens\":"
        + cacheWrite
        + ",\"cache_read_input_tokens\":"
        + cacheRead
        + ",\"output_tokens\":"
        + output
        + "}}";
  }

  /**
   * The stream Anthropic's streaming guide shows for a text answer, pieces as text deltas: input
   * usage in {@code message_start}, the cumulative output in {@code message_delta}.
   */
  public static String stream(int input, int output, String... pieces) {
    StringBuilder s = new StringBuilder();
    s.append("event: message_start\n")
        .append(
            "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\",")
        .append("\"type\":\"message\",\"role\":\"assistant\",\"content\":[],")
        .append(
            "\"model\":\"claude-sonnet-4-5-20250929\",\"stop_reason\":null,\"stop_sequence\":null,")
        .append("\"usage\":{\"input_tokens\":")
        .append(input)
        .append(
            ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n");
    s.append("event: content_block_start\n")
        .append("data: {\"type\":\"content_block_start\",\"index\":0,")
        .append("\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
    s.append("event: ping\ndata: {\"type\": \"ping\"}\n\n");
    for (String piece : pieces) {
      s.append("event: content_block_delta\n")
          .append("data: {\"type\":\"content_block_delta\",\"index\":0,")
          .append("\"delta\":{\"type\":\"text_delta\",\"text\":\"")
          .append(piece)
          .append("\"}}\n\n");
    }
    s.append("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
    s.append("event: message_delta\n")
        .append("data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",")
        .append("\"stop_sequence\":null},\"usage\":{\"output_tokens\":")
        .append(output)
        .append("}}\n\n");
    s.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    return s.toString();
  }
}
