package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.BitSet;

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
 * </ul>
 */
final class UnfinishedAnswers {

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
}
