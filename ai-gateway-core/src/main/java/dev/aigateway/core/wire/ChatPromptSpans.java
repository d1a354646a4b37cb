package dev.aigateway.core.wire;

import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenEncoding;
import java.util.Arrays;

/**
 * The prompt of a chat completions request read in the same walk as its top-level fields, for the
 * common shape only: a {@code messages} array of objects whose members are strings, numbers or
 * literals (no content parts, no tool calls given as objects), with no {@code tools} or {@code
 * functions}. The walk checks the messages as strictly as {@link StrictJson} does and notes where
 * each string value lies; the count ({@link #count}) then needs no second walk of the body: the
 * fixed tokens per message, per name and for the reply's priming are summed in the walk, and the
 * noted strings are counted once the model's encoding is known.
 *
 * <p>The count equals {@link PromptTokens}' (a message's string members count their text, a {@code
 * name} one token more, every other scalar nothing). Anything outside this shape (a message member
 * whose value is an array or object, an element that is not an object, a member name with an
 * escape, a member name repeated within a message, more than {@link #MAX_MEMBERS} members in one
 * message, a second {@code messages}, a {@code tools} or {@code functions} member, a {@code
 * response_format} that may hold a JSON schema) makes the walk give up: {@link #read} returns -1 or
 * {@link #giveUp} is called, and the prompt is then counted as before, by {@link PromptTokens}' own
 * walk or on the tree.
 */
final class ChatPromptSpans {

  /** Members of one message the walk keeps apart (to find a repeated name); more give up. */
  static final int MAX_MEMBERS = 16;

  private static final int TOKENS_PER_MESSAGE = PromptTokens.TOKENS_PER_MESSAGE;
  private static final int TOKENS_PER_NAME = PromptTokens.TOKENS_PER_NAME;
  private static final int REPLY_PRIMING_TOKENS = PromptTokens.REPLY_PRIMING_TOKENS;

  private static final byte[] MESSAGES = {'m', 'e', 's', 's', 'a', 'g', 'e', 's'};
  private static final byte[] TOOLS = {'t', 'o', 'o', 'l', 's'};
  private static final byte[] FUNCTIONS = {'f', 'u', 'n', 'c', 't', 'i', 'o', 'n', 's'};
  private static final byte[] NAME = {'n', 'a', 'm', 'e'};
  private static final byte[] RESPONSE_FORMAT =
      "response_format".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] JSON_SCHEMA =
      "json_schema".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** Per string value of every message, two indexes: its opening quote, after its closing one. */
  private int[] strings = new int[8];

  private int stringCount;

  /** The tokens that do not depend on a text: per message, per name, the reply's priming. */
  private long fixed;

  private boolean messagesRead;
  private boolean gaveUp;

  /** Whether the walk gave up: the prompt is to be counted another way. */
  boolean gaveUp() {
    return gaveUp;
  }

  /** Gives the walk up: the body holds something this shape does not cover. */
  void giveUp() {
    gaveUp = true;
  }

  /**
   * Notes a top-level member whose name is {@code b[from, to)} (without quotes, no escapes): gives
   * up on {@code tools} and {@code functions}, whose definitions this walk does not count. Returns
   * whether the member is {@code messages}, whose value {@link #read} then walks.
   */
  boolean isMessages(byte[] b, int from, int to) {
    int length = to - from;
    if (length == MESSAGES.length) {
      return StrictJson.startsWith(b, from, to, MESSAGES);
    }
    if ((length == TOOLS.length && StrictJson.startsWith(b, from, to, TOOLS))
        || (length == FUNCTIONS.length && StrictJson.startsWith(b, from, to, FUNCTIONS))) {
      gaveUp = true;
    }
    return false;
  }

  /**
   * Notes the value {@code b[from, to)} of a top-level member whose name is {@code b[nameFrom,
   * nameTo)} (without quotes, no escapes): gives up on a {@code response_format} that may be a
   * {@code json_schema} one (its bytes spell {@code json_schema} or hold an escape), whose schema
   * {@link PromptTokens} counts; a {@code json_object} or {@code text} format counts nothing.
   */
  void valueRead(byte[] b, int nameFrom, int nameTo, int from, int to) {
    if (nameTo - nameFrom != RESPONSE_FORMAT.length
        || !StrictJson.startsWith(b, nameFrom, nameTo, RESPONSE_FORMAT)) {
      return;
    }
    for (int i = from; i < to; i++) {
      if (b[i] == '\\'
          || (b[i] == 'j'
              && to - i >= JSON_SCHEMA.length
              && StrictJson.startsWith(b, i, i + JSON_SCHEMA.length, JSON_SCHEMA))) {
        gaveUp = true;
        return;
      }
    }
  }

  /**
   * Walks the {@code messages} value at {@code i} (not whitespace) and notes its strings; returns
   * where the value ends, or -1 (having given up) when it is not of this shape or not strict JSON,
   * for the caller to check it as any other value.
   */
  int read(byte[] b, int i, int to) {
    if (messagesRead || gaveUp) {
      gaveUp = true;
      return -1;
    }
    messagesRead = true;
    int end = array(b, i, to);
    if (end < 0) {
      gaveUp = true;
    }
    return end;
  }

  private int array(byte[] b, int i, int to) {
    if (i >= to || b[i] != '[') {
      return -1;
    }
    long tokens = REPLY_PRIMING_TOKENS;
    i = StrictJson.skipSpace(b, i + 1, to);
    if (i < to && b[i] == ']') {
      fixed += tokens;
      return i + 1;
    }
    while (true) {
      i = message(b, i, to);
      if (i < 0) {
        return -1;
      }
      tokens += TOKENS_PER_MESSAGE;
      i = StrictJson.skipSpace(b, i, to);
      if (i >= to) {
        return -1;
      }
      if (b[i] == ']') {
        fixed += tokens;
        return i + 1;
      }
      if (b[i] != ',') {
        return -1;
      }
      i = StrictJson.skipSpace(b, i + 1, to);
    }
  }

  /** The message object at {@code i}: where it ends, or -1. */
  private int message(byte[] b, int i, int to) {
    if (i >= to || b[i] != '{') {
      return -1;
    }
    int start = i;
    int members = 0;
    long names = 0; // a bit per name seen, by a hash of the name: a repeat is looked for on a hit
    i = StrictJson.skipSpace(b, i + 1, to);
    if (i < to && b[i] == '}') {
      return i + 1;
    }
    while (true) {
      if (i >= to || b[i] != '"' || members++ == MAX_MEMBERS) {
        return -1;
      }
      int nameEnd = StrictJson.string(b, i, to, false);
      if (nameEnd < 0) {
        return -1;
      }
      long bit = 1L << (b[i + 1] * 7 + b[nameEnd - 2] + (nameEnd - i) * 31);
      if ((names & bit) != 0 && repeated(b, start, i, nameEnd, to)) {
        return -1;
      }
      names |= bit;
      int colon = StrictJson.skipSpace(b, nameEnd, to);
      if (colon >= to || b[colon] != ':') {
        return -1;
      }
      int value = StrictJson.skipSpace(b, colon + 1, to);
      if (value >= to) {
        return -1;
      }
      byte c = b[value];
      int valueEnd;
      if (c == '"') {
        valueEnd = StrictJson.string(b, value, to, true);
      } else if (c == '{' || c == '[') {
        return -1; // content parts, tool calls, anything nested: not this shape
      } else {
        valueEnd = StrictJson.NOT_NOTING.value(b, value, to, 2); // a number or a literal
      }
      if (valueEnd < 0) {
        return -1;
      }
      if (c == '"') {
        note(value, valueEnd);
        if (StrictJson.is(b, i + 1, nameEnd - 1, NAME)) {
          fixed += TOKENS_PER_NAME;
        }
      }
      i = StrictJson.skipSpace(b, valueEnd, to);
      if (i >= to) {
        return -1;
      }
      if (b[i] == '}') {
        return i + 1;
      }
      if (b[i] != ',') {
        return -1;
      }
      i = StrictJson.skipSpace(b, i + 1, to);
    }
  }

  /**
   * Whether the name {@code b[quote, end)} is the name of a member before it in the message whose
   * opening brace is at {@code start}: those members walked again (already found strict: names
   * without escapes, values strings or scalars).
   */
  private static boolean repeated(byte[] b, int start, int quote, int end, int to) {
    int length = end - quote;
    int i = StrictJson.skipSpace(b, start + 1, to);
    while (i < quote) {
      int nameEnd = StrictJson.string(b, i, to, false);
      if (nameEnd - i == length && Arrays.equals(b, quote, end, b, i, nameEnd)) {
        return true;
      }
      int value = StrictJson.skipSpace(b, StrictJson.skipSpace(b, nameEnd, to) + 1, to);
      int next = StrictJson.skipSpace(b, StrictJson.NOT_NOTING.value(b, value, to, 2), to);
      i = StrictJson.skipSpace(b, next + 1, to); // past the comma
    }
    return false;
  }

  private void note(int quote, int end) {
    int at = stringCount * 2;
    if (at == strings.length) {
      strings = Arrays.copyOf(strings, strings.length * 2);
    }
    strings[at] = quote;
    strings[at + 1] = end;
    stringCount++;
  }

  /**
   * The prompt tokens of the walked body {@code b} in {@code encoding}: 0 when it had no {@code
   * messages}. Only for a walk that did not give up.
   */
  long count(byte[] b, TokenCounter counter, TokenEncoding encoding) {
    long tokens = fixed;
    for (int at = 0; at < stringCount * 2; at += 2) {
      tokens += JsonTokens.countStrictString(b, strings[at], strings[at + 1], counter, encoding);
    }
    return tokens;
  }
}
