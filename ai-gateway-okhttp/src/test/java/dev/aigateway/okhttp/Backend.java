package dev.aigateway.okhttp;

import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * Canned OpenAI-shaped requests and responses for MockWebServer tests (public for the tests of the
 * adapter's subpackages).
 */
public final class Backend {

  static final MediaType JSON = MediaType.get("application/json");

  private Backend() {}

  /**
   * A chunk of an Azure OpenAI chat stream: one choice, its {@code content_filter_results}, its
   * {@code delta} and {@code finish_reason} (JSON, {@code null} unquoted).
   */
  public static String azureChunk(String filterResults, String delta, String finishReason) {
    return "data: {\"choices\":[{\"content_filter_results\":"
        + filterResults
        + ",\"delta\":"
        + delta
        + ",\"finish_reason\":"
        + finishReason
        + ",\"index\":0,\"logprobs\":null}],\"created\":1,\"id\":\"chatcmpl-2\","
        + "\"model\":\"gpt-4o-2024-08-06\",\"object\":\"chat.completion.chunk\","
        + "\"system_fingerprint\":\"fp_1\",\"usage\":null}\n\n";
  }

  static Request post(String url, String json, String... headers) {
    Request.Builder builder = new Request.Builder().url(url).post(RequestBody.create(json, JSON));
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return builder.build();
  }

  static String chatRequest(String model, String prompt, String extra) {
    return "{\"model\":\""
        + model
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]"
        + (extra.isEmpty() ? "" : "," + extra)
        + "}";
  }

  /** A 200 answer of {@code contentType}, its body still to be given. */
  private static MockResponse.Builder ok(String contentType) {
    return new MockResponse.Builder().code(200).addHeader("Content-Type", contentType);
  }

  /** A 200 answer of the JSON document {@code body}. */
  public static MockResponse json(String body) {
    return jsonBuilder(body).build();
  }

  /** A 200 answer of the JSON document {@code body}, for a test to add to (a delay, a header). */
  public static MockResponse.Builder jsonBuilder(String body) {
    return ok("application/json").body(body);
  }

  /** A 200 answer of a JSON document the test's {@code body} writes (at its own pace). */
  public static MockResponse json(MockResponseBody body) {
    return ok("application/json").body(body).build();
  }

  /** A 200 answer of the server-sent events {@code body}. */
  public static MockResponse sse(String body) {
    return sseBuilder(body).build();
  }

  /**
   * A 200 answer of the server-sent events {@code body}, for a test to add to (a throttled body, a
   * header).
   */
  public static MockResponse.Builder sseBuilder(String body) {
    return ok("text/event-stream").body(body);
  }

  static String chatCompletion(String model, long prompt, long completion) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\""
        + model
        + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello "
        + "there\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
        + prompt
        + ",\"completion_tokens\":"
        + completion
        + ",\"total_tokens\":"
        + (prompt + completion)
        + ",\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":"
        + "{\"reasoning_tokens\":0}}}";
  }

  /** The content pieces every canned stream carries. */
  static final List<String> PIECES =
      List.of("Hello", " there", ",", " how", " can", " I", " help", "?");

  /**
   * A chat stream as OpenAI sends it: with {@code withUsage} every chunk ends in {@code
   * "usage":null} and a usage-only chunk precedes {@code [DONE]}.
   */
  static String chatStream(
      String model, boolean withUsage, long prompt, long completion, boolean done) {
    List<String> events = new ArrayList<>();
    String usageNull = withUsage ? ",\"usage\":null" : "";
    String head =
        "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\""
            + model
            + "\",\"system_fingerprint\":\"fp_1\",\"choices\":[";
    events.add(
        head
            + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
            + "\"finish_reason\":null}]"
            + usageNull
            + "}");
    for (String piece : PIECES) {
      events.add(
          head
              + "{\"index\":0,\"delta\":{\"content\":\""
              + piece
              + "\"},"
              + "\"finish_reason\":null}]"
              + usageNull
              + "}");
    }
    events.add(head + "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]" + usageNull + "}");
    if (withUsage) {
      events.add(
          head
              + "],\"usage\":{\"prompt_tokens\":"
              + prompt
              + ",\"completion_tokens\":"
              + completion
              + ",\"total_tokens\":"
              + (prompt + completion)
              + "}}");
    }
    StringBuilder body = new StringBuilder();
    for (String event : events) {
      body.append("data: ").append(event).append("\n\n");
    }
    if (done) {
      body.append("data: [DONE]\n\n");
    }
    return body.toString();
  }
}
