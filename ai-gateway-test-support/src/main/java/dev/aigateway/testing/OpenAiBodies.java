package dev.aigateway.testing;

import java.util.List;
import java.util.stream.Collectors;

/**
 * OpenAI Chat Completions answers as a backend sends them, for tests that put a real SDK in front
 * of a local server: a JSON completion and a stream of chunks ending with a usage chunk.
 */
public final class OpenAiBodies {

  private OpenAiBodies() {}

  /** A {@code chat.completion} answering {@code text}, with the given usage. */
  public static String completion(String text, int input, int output) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,"
        + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
        + "\"assistant\",\"content\":\""
        + text
        + "\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
        + usage(input, output)
        + "}";
  }

  /**
   * A stream of {@code chat.completion.chunk} events, one per piece, then a usage-only chunk and
   * {@code [DONE]}.
   */
  public static String stream(List<String> pieces, int input, int output) {
    String chunks =
        pieces.stream()
            .map(
                piece ->
                    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
                        + "\"created\":1700000000,\"model\":\"gpt-4o-2024-08-06\",\"choices\":"
                        + "[{\"index\":0,\"delta\":{\"content\":\""
                        + piece
                        + "\"},\"finish_reason\":null}]}\n\n")
            .collect(Collectors.joining());
    return chunks
        + "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
        + "\"created\":1700000000,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],"
        + usage(input, output)
        + "}\n\n"
        + "data: [DONE]\n\n";
  }

  private static String usage(int input, int output) {
    return "\"usage\":{\"prompt_tokens\":"
        + input
        + ",\"completion_tokens\":"
        + output
        + ",\"total_tokens\":"
        + (input + output)
        + "}";
  }
}
