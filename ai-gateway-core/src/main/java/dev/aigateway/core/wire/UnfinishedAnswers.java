package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import org.jspecify.annotations.Nullable;

/**
 * Finds a 200 answer that reached its end marker without saying that each of its answers finished,
 * so the response cache does not keep it ({@link WireFormat#unfinishedAnswer}): a backend or a
 * proxy that lost the end of a choice may still end the stream as usual, and a replay would give
 * the cut answer as a whole one for the entry's whole time to live. Read only when an answer is
 * about to be stored.
 *
 * <ul>
 *   <li>OpenAI's chat and completions streams ({@link #choiceUnfinished}): a choice whose chunks
 *       never gave a {@code finish_reason}, or no choice at all.
 *   <li>Anthropic's Messages ({@link #anthropicUnfinished}, {@link #bedrockAnthropicUnfinished}): a
 *       message without a stop reason, or a turn the API paused ({@code pause_turn}).
 *   <li>Bedrock's ConverseStream ({@link #converseStreamUnfinished}): a stream without its {@code
 *       messageStop}.
 * </ul>
 */
public final class UnfinishedAnswers {

  private static final JsonFactory JSON = Json.MAPPER.getFactory();

  /**
   * The highest choice index read as one (OpenAI's {@code n} is at most 128): a stream naming a
   * higher one is not known to be whole.
   */
  private static final int MAX_INDEX = 1024;

  private UnfinishedAnswers() {}

  /**
   * Whether an OpenAI chat or completions stream has a choice (by its {@code index}, 0 when it has
   * none) none of whose chunks gave a {@code finish_reason}, or has no choice at all. An event
   * whose data is not a JSON object tells nothing here ({@link FailedAnswers#malformedEvents} finds
   * it).
   */
  static boolean choiceUnfinished(byte[] stream) {
    BitSet seen = new BitSet();
    BitSet finished = new BitSet();
    for (byte[] data : GeminiReplay.eventData(stream)) {
      try (JsonParser p = JSON.createParser(data)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          continue;
        }
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
          JsonToken value = p.nextToken();
          if (!name.equals("choices") || value != JsonToken.START_ARRAY) {
            p.skipChildren();
            continue;
          }
          for (JsonToken element = p.nextToken();
              element != JsonToken.END_ARRAY;
              element = p.nextToken()) {
            if (element != JsonToken.START_OBJECT) {
              p.skipChildren();
              continue;
            }
            int index = choice(p, finished);
            if (index < 0) {
              return true;
            }
            seen.set(index);
          }
        }
      } catch (IOException e) {
        // not JSON: malformedAnswer's to find
      }
    }
    return seen.isEmpty() || !finished.equals(seen); // each finished choice is a seen one
  }

  /**
   * Reads the choice object the parser just entered: notes its index in {@code finished} when it
   * gives a finish reason (a string). Returns its index, or -1 when it is not one of OpenAI's.
   */
  private static int choice(JsonParser p, BitSet finished) throws IOException {
    int index = 0;
    boolean finish = false;
    for (String member = p.nextFieldName(); member != null; member = p.nextFieldName()) {
      JsonToken value = p.nextToken();
      switch (member) {
        case "index" -> {
          if (value != JsonToken.VALUE_NUMBER_INT
              || p.getNumberType() != JsonParser.NumberType.INT
              || p.getIntValue() < 0
              || p.getIntValue() > MAX_INDEX) {
            return -1;
          }
          index = p.getIntValue();
        }
        case "finish_reason" -> finish = value == JsonToken.VALUE_STRING;
        default -> p.skipChildren();
      }
    }
    if (finish) {
      finished.set(index);
    }
    return index;
  }

  private static final byte[] STOP_REASON = "\"stop_reason\"".getBytes(StandardCharsets.US_ASCII);

  /**
   * Anthropic's stop reason of a turn the API paused (a long run of server tools, such as web
   * search): the client is meant to continue it, sending the paused answer back as the assistant's
   * turn, so the answer is not the call's whole answer.
   */
  static final String PAUSE_TURN = "pause_turn";

  /**
   * Whether an Anthropic Messages answer (a message document, or its server-sent events when {@code
   * stream}) did not finish: it has no stop reason (a stream's {@code message_delta} never gave
   * one, a document's is null), or its stop reason is {@code pause_turn} ({@link #PAUSE_TURN}).
   */
  static boolean anthropicUnfinished(byte[] body, boolean stream) {
    if (!stream) {
      return !isAnthropicFinished(stopReason(Json.parseOrNull(body, 0, body.length), null));
    }
    String stop = null;
    for (byte[] data : GeminiReplay.eventData(body)) {
      stop = eventStop(data, stop);
    }
    return !isAnthropicFinished(stop);
  }

  /**
   * Whether Claude on Bedrock's InvokeModel answer did not finish ({@link #anthropicUnfinished}): a
   * message document, or (when {@code stream}) an event stream whose chunks carry Anthropic's
   * events base64-encoded.
   */
  static boolean bedrockAnthropicUnfinished(byte[] body, boolean stream) {
    if (!stream) {
      return anthropicUnfinished(body, false);
    }
    String stop = null;
    for (EventStreamMessage message : BedrockReplay.messages(body)) {
      byte[] event = InvokeChunk.decodedByJdk(message.payload(), 0, message.payload().length);
      if (event != null) {
        stop = eventStop(event, stop);
      }
    }
    return !isAnthropicFinished(stop);
  }

  /** The stop reason after the Anthropic event {@code data}: its own when it gives one. */
  private static @Nullable String eventStop(byte[] data, @Nullable String before) {
    if (FailedAnswers.indexOf(data, STOP_REASON, 0, data.length) < 0) {
      return before; // nearly every event: a text delta, a block's start or stop
    }
    return stopReason(Json.parseOrNull(data, 0, data.length), before);
  }

  /**
   * The stop reason a message, or an event of one ({@code message_start}, {@code message_delta}),
   * gives; {@code before} when it gives none.
   */
  private static @Nullable String stopReason(@Nullable JsonNode document, @Nullable String before) {
    if (document == null || !document.isObject()) {
      return before;
    }
    for (JsonNode stop :
        new JsonNode[] {
          document.get("stop_reason"),
          document.path("delta").get("stop_reason"),
          document.path("message").get("stop_reason")
        }) {
      if (stop != null && stop.isTextual()) {
        return stop.textValue();
      }
    }
    return before;
  }

  /**
   * Whether a ConverseStream's event stream has no {@code messageStop} event that gives a {@code
   * stopReason}: the event that says the message ended, and why, before the {@code metadata} event
   * that reports its usage.
   */
  static boolean converseStreamUnfinished(byte[] stream) {
    for (EventStreamMessage message : BedrockReplay.messages(stream)) {
      if ("messageStop".equals(message.eventType())) {
        byte[] payload = message.payload();
        JsonNode event = Json.parseOrNull(payload, 0, payload.length);
        if (event != null && event.path("stopReason").isTextual()) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Whether Anthropic's {@code stopReason} ends a message that is the call's whole answer: any stop
   * reason but none (null) and {@code pause_turn} ({@link #PAUSE_TURN}), which the translation to
   * OpenAI reads as {@code stop} all the same.
   */
  public static boolean isAnthropicFinished(@Nullable String stopReason) {
    return stopReason != null && !stopReason.equals(PAUSE_TURN);
  }
}
