package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Finds an OpenAI-shaped failure inside a 200 answer that ended complete: a JSON document, or a
 * stream event's data, whose top level has a non-null {@code error} member. OpenAI-compatible
 * servers (vLLM, proxies) report a failure met after the status was sent in an error chunk and then
 * end the stream with {@code [DONE]}; some proxies answer a backend's failure with a 200 and
 * OpenAI's error body; a Responses API response that {@code failed} holds its {@code error}. None
 * of them is an answer to keep. Read only when an answer is about to be stored.
 */
final class FailedAnswers {

  private static final byte[] ERROR = "\"error\"".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] CONTENT_FILTER =
      "\"content_filter\"".getBytes(StandardCharsets.US_ASCII);

  private FailedAnswers() {}

  /** Whether {@code body} (a JSON document, or server-sent events when {@code stream}) failed. */
  static boolean failed(byte[] body, boolean stream) {
    boolean error = contains(body, ERROR);
    boolean filter = contains(body, CONTENT_FILTER);
    if (!error && !filter) {
      return false; // nearly every answer: neither string anywhere
    }
    if (!stream) {
      return (error && hasError(body, 0, body.length)) || (filter && filtered(body));
    }
    for (byte[] data : GeminiReplay.eventData(body)) {
      if ((error && hasError(data, 0, data.length)) || (filter && filtered(data))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the JSON document (or stream event) {@code json} was cut off by a content filter: a
   * choice finished {@code content_filter}, or a response (a Responses API event's {@code
   * response}) is incomplete for that reason.
   */
  private static boolean filtered(byte[] json) {
    JsonNode document = Json.parseOrNull(json, 0, json.length);
    if (document == null || !document.isObject()) {
      return false;
    }
    for (JsonNode choice : document.path("choices")) {
      if ("content_filter".equals(choice.path("finish_reason").textValue())) {
        return true;
      }
    }
    return "content_filter".equals(document.at("/incomplete_details/reason").textValue())
        || "content_filter".equals(document.at("/response/incomplete_details/reason").textValue());
  }

  /** Whether the JSON object {@code json[from, to)} has a top-level {@code error} not null. */
  private static boolean hasError(byte[] json, int from, int to) {
    try (JsonParser parser = Json.MAPPER.getFactory().createParser(json, from, to - from)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("error".equals(name) && value != JsonToken.VALUE_NULL) {
          return true;
        }
        parser.skipChildren();
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false; // not JSON: nothing OpenAI-shaped to find
    }
  }

  private static boolean contains(byte[] bytes, byte[] part) {
    int last = bytes.length - part.length;
    outer:
    for (int i = 0; i <= last; i++) {
      if (bytes[i] != part[0]) {
        continue;
      }
      for (int k = 1; k < part.length; k++) {
        if (bytes[i + k] != part[k]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
