package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.wire.WireFormat.AnswerDefect;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Finds a 200 answer that reached its end marker without being a whole, well-formed answer, so the
 * response cache does not keep it ({@link WireFormat#answerDefect}): one that does not say that
 * each of its answers finished (a backend or a proxy that lost the end of a choice may still end
 * the stream as usual, and a replay would give the cut answer as a whole one for the entry's whole
 * time to live), or one with an event, element or frame that is not well-formed. Each format's
 * answer is read once for both; only when an answer is about to be stored.
 *
 * <ul>
 *   <li>OpenAI's chat and completions streams ({@link #choicesDefect}): a choice whose chunks never
 *       gave a {@code finish_reason}, or no choice at all.
 *   <li>Gemini's event streams ({@link #candidatesDefect}): a candidate whose responses never gave
 *       a {@code finishReason}, or no candidate at all.
 *   <li>Anthropic's Messages ({@link #anthropicDefect}, {@link #bedrockAnthropicDefect}): a message
 *       without a stop reason, or a turn the API paused ({@code pause_turn}).
 *   <li>Bedrock's ConverseStream ({@link #converseStreamDefect}): a stream without its {@code
 *       messageStop}.
 *   <li>Every stream's framing ({@link #malformedEvents}, {@link #malformedFrames}): an event whose
 *       data is not JSON, a binary frame that does not decode or whose payload is not JSON.
 * </ul>
 */
public final class UnfinishedAnswers {

  private static final JsonFactory JSON = Json.MAPPER.getFactory();

  /**
   * The highest choice or candidate index read as one (OpenAI's {@code n} is at most 128, Gemini's
   * {@code candidateCount} at most 8): a stream naming a higher one is not known to be whole.
   */
  private static final int MAX_INDEX = 1024;

  private UnfinishedAnswers() {}

  /** Where the answers of a stream's events are, and how each says it finished. */
  private enum Answers {
    /**
     * OpenAI's chat and completions chunks: {@code choices[]}, each by its {@code index} (0 when it
     * has none), finished by a {@code finish_reason} string.
     */
    OPENAI_CHOICES("choices", "finish_reason", false),
    /**
     * Gemini's responses: {@code candidates[]}, each by its {@code index} (else its place in the
     * array, as Google leaves out a candidate's index 0), finished by a {@code finishReason}
     * string.
     */
    GEMINI_CANDIDATES("candidates", "finishReason", true);

    final String list;
    final String finish;
    final boolean positional;

    Answers(String list, String finish, boolean positional) {
      this.list = list;
      this.finish = finish;
      this.positional = positional;
    }
  }

  /**
   * Whether an OpenAI chat or completions stream is unfinished, having a choice (by its {@code
   * index}, 0 when it has none) none of whose chunks gave a {@code finish_reason}, or no choice at
   * all; else whether it is malformed, having an event whose data is not JSON; null when it is
   * neither. Each event is parsed once.
   */
  static @Nullable AnswerDefect choicesDefect(byte[] stream) {
    return answersDefect(stream, Answers.OPENAI_CHOICES);
  }

  /**
   * Whether a Gemini event stream ({@code alt=sse}) is unfinished, having a candidate (by its
   * {@code index}, else its place) none of whose responses gave a {@code finishReason}, or no
   * candidate at all: with {@code candidateCount} above 1 each candidate finishes in a response of
   * its own or beside another's, and the stream has no end marker but those; else whether it is
   * malformed, having an event whose data is not JSON; null when it is neither. Each event is
   * parsed once.
   */
  static @Nullable AnswerDefect candidatesDefect(byte[] stream) {
    return answersDefect(stream, Answers.GEMINI_CANDIDATES);
  }

  private static @Nullable AnswerDefect answersDefect(byte[] stream, Answers answers) {
    BitSet seen = new BitSet();
    BitSet finished = new BitSet();
    boolean[] unknownAnswer = {false};
    boolean malformed =
        malformedEvents(stream, data -> readAnswers(data, answers, seen, finished, unknownAnswer));
    if (unknownAnswer[0] || seen.isEmpty() || !finished.equals(seen)) {
      return AnswerDefect.UNFINISHED; // each finished answer is a seen one
    }
    return malformed ? AnswerDefect.MALFORMED : null;
  }

  /**
   * Reads one event's data whole, noting its answers in {@code seen} and those that say they
   * finished in {@code finished} ({@code unknownAnswer} when one's index is not a small whole
   * number); returns false when it is not JSON read whole. Data that is not a JSON object tells
   * nothing of its answers.
   */
  private static boolean readAnswers(
      byte[] data, Answers answers, BitSet seen, BitSet finished, boolean[] unknownAnswer) {
    try (JsonParser p = JSON.createParser(data)) {
      if (p.nextToken() == JsonToken.START_OBJECT) {
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
          JsonToken value = p.nextToken();
          if (!name.equals(answers.list) || value != JsonToken.START_ARRAY) {
            p.skipChildren();
            continue;
          }
          int position = 0;
          for (JsonToken element = p.nextToken();
              element != JsonToken.END_ARRAY;
              element = p.nextToken()) {
            if (element != JsonToken.START_OBJECT) {
              p.skipChildren();
              continue;
            }
            int index = answer(p, answers, answers.positional ? position : 0, finished);
            position++;
            if (index < 0) {
              unknownAnswer[0] = true;
            } else {
              seen.set(index);
            }
          }
        }
      }
      while (p.nextToken() != null) {
        // the rest of the data: read, so that bytes that are not JSON are found
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Reads the answer object the parser just entered, to its end: notes its index ({@code
   * unnamedIndex} when it names none) in {@code finished} when it says it finished (a string).
   * Returns its index, or -1 when it is not a small whole number.
   */
  private static int answer(JsonParser p, Answers answers, int unnamedIndex, BitSet finished)
      throws IOException {
    int index = unnamedIndex;
    boolean finish = false;
    for (String member = p.nextFieldName(); member != null; member = p.nextFieldName()) {
      JsonToken value = p.nextToken();
      if (member.equals("index")) {
        if (value == JsonToken.VALUE_NUMBER_INT
            && p.getNumberType() == JsonParser.NumberType.INT
            && p.getIntValue() >= 0
            && p.getIntValue() <= MAX_INDEX) {
          index = index < 0 ? index : p.getIntValue();
        } else {
          p.skipChildren();
          index = -1;
        }
      } else if (member.equals(answers.finish)) {
        finish = value == JsonToken.VALUE_STRING;
      } else {
        p.skipChildren();
      }
    }
    if (finish && index >= 0) {
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
   * stream}) is unfinished: it has no stop reason (a stream's {@code message_delta} never gave one,
   * a document's is null), or its stop reason is {@code pause_turn} ({@link #PAUSE_TURN}); else
   * whether a stream is malformed, having an event whose data is not JSON; null when neither.
   */
  static @Nullable AnswerDefect anthropicDefect(byte[] body, boolean stream) {
    if (!stream) {
      return unfinishedUnless(
          isAnthropicFinished(stopReason(Json.parseOrNull(body, 0, body.length), null)), false);
    }
    String[] stop = {null};
    boolean malformed =
        malformedEvents(
            body,
            data -> {
              if (FailedAnswers.indexOf(data, STOP_REASON, 0, data.length) < 0) {
                return Json.wellFormed(data, 0, data.length); // a text delta, a block's start...
              }
              JsonNode event = Json.wholeTree(data, 0, data.length);
              stop[0] = stopReason(event, stop[0]);
              return event != null;
            });
    return unfinishedUnless(isAnthropicFinished(stop[0]), malformed);
  }

  /**
   * As {@link #anthropicDefect}, for Claude on Bedrock's InvokeModel: a message document, or (when
   * {@code stream}) an event stream whose chunks carry Anthropic's events base64-encoded, malformed
   * when a frame does not decode or its payload is not JSON.
   */
  static @Nullable AnswerDefect bedrockAnthropicDefect(byte[] body, boolean stream) {
    if (!stream) {
      return anthropicDefect(body, false);
    }
    String[] stop = {null};
    boolean malformed =
        malformedFrames(
            body,
            message -> {
              byte[] payload = message.payloadBytes();
              if (payload.length == 0) {
                return true;
              }
              JsonNode chunk = Json.wholeTree(payload, 0, payload.length);
              byte[] event = InvokeChunk.decodedByJdk(chunk);
              if (event != null) {
                stop[0] = eventStop(event, stop[0]);
              }
              return chunk != null;
            });
    return unfinishedUnless(isAnthropicFinished(stop[0]), malformed);
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
   * Whether a ConverseStream's event stream is unfinished, having no {@code messageStop} event that
   * gives a {@code stopReason} (the event that says the message ended, and why, before the {@code
   * metadata} event that reports its usage); else whether it is malformed ({@link
   * #malformedFrames}); null when neither.
   */
  static @Nullable AnswerDefect converseStreamDefect(byte[] stream) {
    boolean[] stopped = {false};
    boolean malformed =
        malformedFrames(
            stream,
            message -> {
              byte[] payload = message.payloadBytes();
              if (payload.length == 0 || !"messageStop".equals(message.eventType())) {
                return jsonPayload(message);
              }
              JsonNode event = Json.wholeTree(payload, 0, payload.length);
              stopped[0] |= event != null && event.path("stopReason").isTextual();
              return event != null;
            });
    return unfinishedUnless(stopped[0], malformed);
  }

  /**
   * Whether Anthropic's {@code stopReason} ends a message that is the call's whole answer: any stop
   * reason but none (null) and {@code pause_turn} ({@link #PAUSE_TURN}), which the translation to
   * OpenAI reads as {@code stop} all the same.
   */
  public static boolean isAnthropicFinished(@Nullable String stopReason) {
    return stopReason != null && !stopReason.equals(PAUSE_TURN);
  }

  /** {@code UNFINISHED} unless {@code finished}, else {@code MALFORMED} when {@code malformed}. */
  static @Nullable AnswerDefect unfinishedUnless(boolean finished, boolean malformed) {
    if (!finished) {
      return AnswerDefect.UNFINISHED;
    }
    return malformed ? AnswerDefect.MALFORMED : null;
  }

  /**
   * Whether a stream of server-sent events that ended complete holds an event whose data is not
   * JSON (a chunk a backend or a proxy mangled, or one cut by a stray line end), as {@code
   * readData} finds reading it: each event's data that is not blank is handed to it, in order,
   * every one of them. An event without data, or whose data is empty or {@code [DONE]}, is none.
   *
   * @param readData reads an event's data; false when it is not JSON read whole
   */
  static boolean malformedEvents(byte[] body, Predicate<byte[]> readData) {
    boolean malformed = false;
    for (byte[] data : GeminiReplay.eventData(body)) {
      if (!blank(data) && !readData.test(data)) {
        malformed = true;
      }
    }
    return malformed;
  }

  /** Whether a stream of server-sent events holds an event whose data is not JSON. */
  static boolean malformedEvents(byte[] body) {
    return malformedEvents(body, data -> Json.wellFormed(data, 0, data.length));
  }

  /**
   * Whether a binary event stream (Bedrock's) that ended complete holds a frame that does not
   * decode (a length or checksum that does not fit) or is cut off, or a message whose payload
   * {@code readMessage} finds is not JSON: each message decoded is handed to it, in order.
   *
   * @param readMessage reads a message; false when its payload is neither empty nor JSON read whole
   */
  static boolean malformedFrames(byte[] body, Predicate<EventStreamMessage> readMessage) {
    boolean[] malformed = {false};
    EventStreamDecoder decoder =
        new EventStreamDecoder(
            message -> {
              if (!readMessage.test(message)) {
                malformed[0] = true;
              }
            });
    decoder.feed(body, 0, body.length);
    return malformed[0] || decoder.corrupt() || decoder.midMessage();
  }

  /** Whether a message's payload is empty or JSON read whole. */
  static boolean jsonPayload(EventStreamMessage message) {
    byte[] payload = message.payloadBytes();
    return payload.length == 0 || Json.wellFormed(payload, 0, payload.length);
  }

  /**
   * Whether a JSON document, or a JSON array stream (Gemini's without {@code alt=sse}), is not JSON
   * read whole.
   */
  static boolean malformedDocument(byte[] body) {
    return !Json.wellFormed(body, 0, body.length);
  }

  private static boolean blank(byte[] data) {
    for (byte b : data) {
      if (!StrictJson.isSpace(b)) {
        return false;
      }
    }
    return true;
  }
}
