package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenEncoding;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The tokens of one JSON document, read forward once, for {@link PromptTokens}' streaming count:
 * Jackson's streaming parser ({@link #of(JsonParser)}), or, for a document {@link StrictJson} has
 * already accepted whole, a walk on its bytes that checks nothing again and makes no parser ({@link
 * #ofStrict(byte[])}). The methods are named after {@link JsonParser}'s and mean the same.
 */
abstract class JsonTokens implements AutoCloseable {

  /** Releases what the reader holds (a parser's buffers). */
  @Override
  public void close() throws IOException {}

  /** The next token; null after the root value. */
  abstract JsonToken nextToken() throws IOException;

  /** The name of the field name token the reader is at. */
  abstract String currentName() throws IOException;

  /** The text of the string token the reader is at. */
  abstract String getText() throws IOException;

  /** At an object's or array's start: moves to its end. Otherwise nothing. */
  abstract void skipChildren() throws IOException;

  /** The tokens of the string token the reader is at, counted on its characters where it can. */
  abstract int countText(TokenCounter counter, TokenEncoding encoding) throws IOException;

  /** At an object's or array's start: the value as a tree, the reader left at its end. */
  abstract JsonNode readTree() throws IOException;

  /** The member names a walk on strict bytes hands out as shared strings (for tests). */
  static List<String> sharedNames() {
    return List.of(StrictTokens.NAMES);
  }

  /** Jackson's parser, as it reads any JSON. */
  static JsonTokens of(JsonParser p) {
    return new ParserTokens(p);
  }

  /**
   * A walk on {@code json}, which must be a document {@link StrictJson} accepted whole (the reader
   * checks nothing: anything else reads wrongly or throws).
   */
  static JsonTokens ofStrict(byte[] json) {
    return new StrictTokens(json);
  }

  /**
   * The tokens of the string {@code json[quote, end)} (its quotes included) of a document {@link
   * StrictJson} accepted: counted as a walk on the strict bytes ({@link #ofStrict}) counts it when
   * at that string, on its bytes when they are ASCII without an escape.
   */
  static int countStrictString(
      byte[] json, int quote, int end, TokenCounter counter, TokenEncoding encoding) {
    int from = quote + 1;
    int to = end - 1;
    if (StrictJson.quoteBackslashOrHigh(json, from, to) == to) {
      return counter.countAsciiText(encoding, json, from, to - from);
    }
    StrictTokens tokens = new StrictTokens(json);
    tokens.stringStart = quote;
    tokens.stringEnd = end;
    tokens.plainAscii = false;
    return tokens.countText(counter, encoding);
  }

  private static final class ParserTokens extends JsonTokens {
    private final JsonParser p;

    ParserTokens(JsonParser p) {
      this.p = p;
    }

    @Override
    public void close() throws IOException {
      p.close();
    }

    @Override
    JsonToken nextToken() throws IOException {
      return p.nextToken();
    }

    @Override
    String currentName() throws IOException {
      return p.currentName();
    }

    @Override
    String getText() throws IOException {
      return p.getText();
    }

    @Override
    void skipChildren() throws IOException {
      p.skipChildren();
    }

    @Override
    int countText(TokenCounter counter, TokenEncoding encoding) throws IOException {
      return counter.countText(
          encoding, p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
    }

    @Override
    JsonNode readTree() throws IOException {
      return Json.MAPPER.readTree(p);
    }
  }

  /**
   * Tokens of strict JSON on its bytes. Names the count compares come as shared strings; string
   * values of ASCII text (escapes included) are decoded into one reused character buffer, others by
   * the JDK's UTF-8 decoder (no escapes) or Jackson (escapes and non-ASCII text).
   */
  private static final class StrictTokens extends JsonTokens {

    /** The member names the prompt count compares, handed out as these strings. */
    private static final String[] NAMES = {
      "model",
      "messages",
      "role",
      "content",
      "name",
      "type",
      "text",
      "tools",
      "functions",
      "function",
      "tool_calls",
      "function_call",
      "custom",
      "arguments",
      "refusal",
      "image_url",
      "input",
      "instructions",
      "prompt",
      "suffix",
      "id",
      "status",
      "tool_call_id",
      "max_tokens",
      "stream",
      "url",
      "detail",
      "parameters",
      "description"
    };

    /** {@link #NAMES} by length: those of each length, so a name is compared with a few. */
    private static final String[][] NAMES_BY_LENGTH =
        IntStream.rangeClosed(0, Arrays.stream(NAMES).mapToInt(String::length).max().orElse(0))
            .mapToObj(
                length ->
                    Arrays.stream(NAMES)
                        .filter(name -> name.length() == length)
                        .toArray(String[]::new))
            .toArray(String[][]::new);

    /** The bytes of {@link #NAMES_BY_LENGTH}'s names. */
    private static final byte[][][] NAME_BYTES_BY_LENGTH =
        Arrays.stream(NAMES_BY_LENGTH)
            .map(
                names ->
                    Arrays.stream(names)
                        .map(name -> name.getBytes(StandardCharsets.US_ASCII))
                        .toArray(byte[][]::new))
            .toArray(byte[][][]::new);

    private final byte[] b;
    private int i;

    /** One bit per open container, innermost lowest: set for an object. */
    private long objects;

    private int depth;
    private JsonToken current;

    /** Where the current string token (name or value) lies: its opening quote, after its close. */
    private int stringStart;

    private int stringEnd;

    /**
     * Whether the string last scanned by {@link #stringEnd(int)} is ASCII without a backslash (its
     * bytes are its characters): noted in the scan that finds its end, so counting it does not read
     * its bytes once more to find out.
     */
    private boolean plainAscii;

    /** Where the current container token starts. */
    private int containerStart;

    /** The current string decoded, when it had to be: made at the first such string. */
    private char[] chars;

    StrictTokens(byte[] b) {
      this.b = b;
    }

    @Override
    JsonToken nextToken() {
      if (depth == 0 && current != null) {
        return null; // after the root value
      }
      i = StrictJson.skipSpace(b, i, b.length);
      if (b[i] == ',') {
        i = StrictJson.skipSpace(b, i + 1, b.length);
      }
      byte c = b[i];
      if (c == '}' || c == ']') {
        i++;
        depth--;
        objects >>>= 1;
        return current = c == '}' ? JsonToken.END_OBJECT : JsonToken.END_ARRAY;
      }
      if ((objects & 1) != 0 && depth > 0 && current != JsonToken.FIELD_NAME) {
        stringStart = i;
        stringEnd = stringEnd(i);
        i = StrictJson.skipSpace(b, stringEnd, b.length) + 1; // past the colon
        return current = JsonToken.FIELD_NAME;
      }
      switch (c) {
        case '{', '[' -> {
          containerStart = i++;
          depth++;
          objects = objects << 1 | (c == '{' ? 1 : 0);
          return current = c == '{' ? JsonToken.START_OBJECT : JsonToken.START_ARRAY;
        }
        case '"' -> {
          stringStart = i;
          stringEnd = stringEnd(i);
          i = stringEnd;
          return current = JsonToken.VALUE_STRING;
        }
        case 't' -> {
          i += 4;
          return current = JsonToken.VALUE_TRUE;
        }
        case 'f' -> {
          i += 5;
          return current = JsonToken.VALUE_FALSE;
        }
        case 'n' -> {
          i += 4;
          return current = JsonToken.VALUE_NULL;
        }
        default -> {
          boolean integral = true;
          for (; i < b.length; i++) {
            byte d = b[i];
            if (d == '.' || d == 'e' || d == 'E') {
              integral = false;
            } else if (!(d >= '0' && d <= '9' || d == '-' || d == '+')) {
              break;
            }
          }
          return current = integral ? JsonToken.VALUE_NUMBER_INT : JsonToken.VALUE_NUMBER_FLOAT;
        }
      }
    }

    /**
     * After the closing quote of the string whose opening quote is at {@code at}; eight bytes a
     * step up to a quote, a backslash or a byte that is not ASCII.
     */
    private int stringEnd(int at) {
      int j = at + 1;
      boolean plain = true;
      while (true) {
        j = StrictJson.quoteBackslashOrHigh(b, j, b.length); // a string this strict ends in b
        byte c = b[j];
        if (c == '"') {
          plainAscii = plain;
          return j + 1;
        }
        plain = false;
        j += c == '\\' ? 2 : 1; // an escape's second byte, or the next byte of a character
      }
    }

    @Override
    String currentName() {
      int from = stringStart + 1;
      int length = stringEnd - 1 - from;
      if (length < NAMES_BY_LENGTH.length) {
        byte[][] candidates = NAME_BYTES_BY_LENGTH[length];
        for (int k = 0; k < candidates.length; k++) {
          if (StrictJson.startsWith(b, from, from + length, candidates[k])) {
            return NAMES_BY_LENGTH[length][k];
          }
        }
      }
      return getText();
    }

    @Override
    String getText() {
      int length = decode();
      return length >= 0 ? new String(chars, 0, length) : nonAscii();
    }

    @Override
    int countText(TokenCounter counter, TokenEncoding encoding) {
      int from = stringStart + 1;
      int to = stringEnd - 1;
      if (plainAscii) {
        return counter.countAsciiText(encoding, b, from, to - from); // its bytes are its characters
      }
      int length = decode();
      return length >= 0
          ? counter.countText(encoding, chars, 0, length)
          : counter.countText(encoding, nonAscii());
    }

    /** The current string, which is not ASCII: by the JDK's decoder when it has no escape. */
    private String nonAscii() {
      int from = stringStart + 1;
      int to = stringEnd - 1;
      for (int k = from; k < to; k++) {
        if (b[k] == '\\') {
          return Json.stringOrEmpty(b, stringStart, stringEnd - stringStart);
        }
      }
      return new String(b, from, to - from, StandardCharsets.UTF_8);
    }

    /**
     * Decodes the current string into {@link #chars}; its length, or -1 when it is not ASCII
     * (decoded elsewhere then).
     */
    private int decode() {
      int from = stringStart + 1;
      int to = stringEnd - 1;
      if (chars == null || chars.length < to - from) {
        chars = new char[Math.max(to - from, chars == null ? 64 : chars.length * 2)];
      }
      int n = 0;
      for (int k = from; k < to; k++) {
        byte c = b[k];
        if (c < 0) {
          return -1;
        }
        if (c != '\\') {
          chars[n++] = (char) c;
          continue;
        }
        byte e = b[++k];
        chars[n++] =
            switch (e) {
              case 'b' -> '\b';
              case 'f' -> '\f';
              case 'n' -> '\n';
              case 'r' -> '\r';
              case 't' -> '\t';
              case 'u' -> {
                char u =
                    (char)
                        (hex(b[k + 1]) << 12
                            | hex(b[k + 2]) << 8
                            | hex(b[k + 3]) << 4
                            | hex(b[k + 4]));
                k += 4;
                yield u;
              }
              default -> (char) e; // '"', '\\', '/'
            };
      }
      return n;
    }

    private static int hex(byte digit) {
      return digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10;
    }

    @Override
    void skipChildren() {
      if (current != JsonToken.START_OBJECT && current != JsonToken.START_ARRAY) {
        return;
      }
      boolean currentPlain = plainAscii; // the skipped strings say nothing of the current one
      int open = 1;
      while (open > 0) {
        byte c = b[i];
        if (c == '"') {
          i = stringEnd(i);
          continue;
        }
        if (c == '{' || c == '[') {
          open++;
        } else if (c == '}' || c == ']') {
          open--;
        }
        i++;
      }
      plainAscii = currentPlain;
      current = b[i - 1] == '}' ? JsonToken.END_OBJECT : JsonToken.END_ARRAY;
      depth--;
      objects >>>= 1;
    }

    @Override
    JsonNode readTree() throws IOException {
      int start = containerStart;
      skipChildren();
      return Json.MAPPER.readTree(b, start, i - start);
    }
  }
}
