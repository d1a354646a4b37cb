package dev.aigateway.core.translate;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.NumberInput;
import dev.aigateway.core.wire.Json;
import dev.aigateway.core.wire.UsageCounts;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A backend's answer or event read with Jackson's streaming parser, member by member, instead of as
 * a tree: the translators know each shape they read and take only its members, so nothing but the
 * strings they keep is allocated. Values read as Jackson's tree would read them ({@code
 * JsonNode.asText}, {@code canConvertToLong}, {@code asInt}, {@code asBoolean}), so a translation
 * says the same whichever way it was read. Not thread-safe: one document, one thread.
 *
 * <p>The reading moves forward only. {@link #object()} enters the current value when it is an
 * object, after which {@link #member()} moves from member to member; {@link #array()} and {@link
 * #element()} do the same for arrays. Each value moved to is then read ({@link #text}, {@link
 * #count()}, ...), entered, or left alone: the next move skips it.
 */
final class BackendJson {

  private final JsonParser parser;

  /** Whether the current value was moved to and neither read nor entered yet. */
  private boolean pending = true;

  private BackendJson(JsonParser parser) {
    this.parser = parser;
  }

  /** What a translator reads of one document. */
  @FunctionalInterface
  interface Reader<T> {
    /** Reads the document, at its first value (none in an empty text: {@link #isEmpty()}). */
    T read(BackendJson json) throws IOException;
  }

  /**
   * Reads {@code json} with {@code reader}, then closes the parser, which hands its buffers back to
   * Jackson's pool for the next document.
   *
   * @throws IOException when the text is not JSON where {@code reader} reads it
   */
  static <T> T read(String json, Reader<T> reader) throws IOException {
    try (JsonParser parser = Json.MAPPER.getFactory().createParser(json)) {
      return reader.read(start(parser));
    }
  }

  /**
   * Reads {@code json[from, from + length)} with {@code reader}, as {@link #read(String, Reader)}.
   */
  static <T> T read(byte[] json, int from, int length, Reader<T> reader) throws IOException {
    try (JsonParser parser = Json.MAPPER.getFactory().createParser(json, from, length)) {
      return reader.read(start(parser));
    }
  }

  private static BackendJson start(JsonParser parser) throws IOException {
    parser.nextToken();
    return new BackendJson(parser);
  }

  /** Whether the text holds no value at all (empty, or only white space). */
  boolean isEmpty() {
    return parser.currentToken() == null;
  }

  /** Whether the current value is an object (not entered, nor skipped). */
  boolean isObject() {
    return parser.currentToken() == JsonToken.START_OBJECT;
  }

  /** Enters the current value if it is an object (true), else skips it (false). */
  boolean object() throws IOException {
    return enter(JsonToken.START_OBJECT);
  }

  /** Enters the current value if it is an array (true), else skips it (false). */
  boolean array() throws IOException {
    return enter(JsonToken.START_ARRAY);
  }

  private boolean enter(JsonToken start) throws IOException {
    if (parser.currentToken() == start) {
      pending = false;
      return true;
    }
    skipContainer();
    return false;
  }

  /**
   * Moves to the value of the next member of the object entered last, past what was left unread;
   * returns the member's name, or null at the object's end.
   */
  @Nullable String member() throws IOException {
    passPending();
    if (parser.nextToken() != JsonToken.FIELD_NAME) {
      return null; // the object's end
    }
    String name = parser.currentName();
    parser.nextToken();
    pending = true;
    return name;
  }

  /**
   * Moves to the next element of the array entered last, past what was left unread; false at the
   * array's end.
   */
  boolean element() throws IOException {
    passPending();
    if (parser.nextToken() == JsonToken.END_ARRAY || parser.currentToken() == null) {
      return false;
    }
    pending = true;
    return true;
  }

  /**
   * Moves to the value of the member {@code name} of the object entered last, passing the members
   * before it; false, at the object's end, when it has none. After reading or entering the value,
   * {@link #rest()} passes the members after it.
   */
  boolean find(String name) throws IOException {
    for (String member; (member = member()) != null; ) {
      if (member.equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the current value is an object with a member {@code name}; passes the whole value. */
  boolean has(String name) throws IOException {
    if (object() && find(name)) {
      rest();
      return true;
    }
    return false;
  }

  /** Passes what is left of the object or array entered last, to its end. */
  void rest() throws IOException {
    passPending();
    int depth = 0;
    for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
      if (token.isStructStart()) {
        depth++;
      } else if (token.isStructEnd() && depth-- == 0) {
        return;
      }
    }
  }

  private void passPending() throws IOException {
    if (pending) {
      parser.skipChildren();
      pending = false;
    }
  }

  /** The current value if it is a JSON string, else null (as {@code Translator.text}). */
  @Nullable String string() throws IOException {
    skipContainer();
    return parser.currentToken() == JsonToken.VALUE_STRING ? parser.getText() : null;
  }

  /**
   * The current value as {@code JsonNode.asText(fallback)} reads it: a string's text, a number's or
   * boolean's digits or word; {@code fallback} for null; "" for an object or array.
   */
  String text(String fallback) throws IOException {
    if (skipContainer()) {
      return "";
    }
    return switch (parser.currentToken()) {
      case VALUE_NULL -> fallback;
      case VALUE_NUMBER_INT ->
          parser.getNumberValue().toString(); // as written by the tree: 0, not -0
      case VALUE_NUMBER_FLOAT -> Double.toString(parser.getDoubleValue());
      default -> parser.getText();
    };
  }

  /**
   * The current value as a token count: a number that fits a long, truncated, never below 0; one
   * beyond a long {@link Long#MAX_VALUE} when positive (saturated, as the native formats' usage
   * readers read it, so that the call is charged the cap and its event flags it, not charged
   * nothing); a string of digits the number it spells, as the proto3 JSON mapping writes one
   * (Gemini's and Vertex AI's {@code "promptTokenCount": "12"}, {@link UsageCounts#ofDigits}); 0
   * for anything else.
   */
  long count() throws IOException {
    if (skipContainer()) {
      return 0;
    }
    JsonToken token = parser.currentToken();
    if (token == JsonToken.VALUE_NUMBER_INT) {
      if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        BigInteger big = parser.getBigIntegerValue();
        if (big.bitLength() < 64) {
          return Math.max(0, big.longValue());
        }
        return big.signum() > 0 ? Long.MAX_VALUE : 0;
      }
      return Math.max(0, parser.getLongValue());
    }
    if (token == JsonToken.VALUE_NUMBER_FLOAT) {
      double d = parser.getDoubleValue();
      return d >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, (long) d);
    }
    if (token == JsonToken.VALUE_STRING) {
      return Math.max(0, UsageCounts.ofDigits(parser.getText())); // Google's "12"
    }
    return 0;
  }

  /**
   * The counts of the object at the reading that {@code names} name, in their order, each as {@link
   * #count()} reads it and -1 when the object has no member of that name or gives it as {@code
   * null} (Anthropic's {@code message_delta} names the counts it does not report, as null: they are
   * not reported as 0); null, the value skipped, when it is not an object. A backend's usage
   * object, read in one pass.
   */
  long @Nullable [] counts(String... names) throws IOException {
    if (!object()) {
      return null;
    }
    long[] counts = new long[names.length];
    Arrays.fill(counts, -1);
    for (String member; (member = member()) != null; ) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(member)) {
          counts[i] = parser.currentToken() == JsonToken.VALUE_NULL ? -1 : count();
          break;
        }
      }
    }
    return counts;
  }

  /** The current value as {@code JsonNode.asInt(fallback)} reads it. */
  int integer(int fallback) throws IOException {
    if (skipContainer()) {
      return fallback;
    }
    return switch (parser.currentToken()) {
      case VALUE_NUMBER_INT -> parser.getNumberValue().intValue(); // a long or more: truncated
      case VALUE_NUMBER_FLOAT -> (int) parser.getDoubleValue();
      case VALUE_STRING -> NumberInput.parseAsInt(parser.getText(), fallback);
      case VALUE_TRUE -> 1;
      case VALUE_FALSE -> 0;
      default -> fallback;
    };
  }

  /** The current value as {@code JsonNode.asBoolean(false)} reads it. */
  boolean bool() throws IOException {
    if (skipContainer()) {
      return false;
    }
    return switch (parser.currentToken()) {
      case VALUE_TRUE -> true;
      case VALUE_NUMBER_INT -> parser.getBigIntegerValue().signum() != 0;
      case VALUE_STRING -> "true".equals(parser.getText().trim());
      default -> false;
    };
  }

  /**
   * The current value written compactly, its numbers exactly as written: a fraction as the decimal
   * it is ({@link java.math.BigDecimal}), so {@code 12345678901234567890.25} or {@code 1.50} keep
   * their digits where a double would round them (as a tree read with {@link ChatRequest#EXACT}
   * writes it). One difference from such a tree: an object that repeats a name keeps each member
   * here, where the tree keeps the last.
   */
  String compact() throws IOException {
    pending = false;
    StringWriter text = new StringWriter();
    try (JsonGenerator out = Json.MAPPER.getFactory().createGenerator(text)) {
      out.copyCurrentStructureExact(parser);
    }
    return text.toString();
  }

  /** Marks the current value read; skips it when it is a container. True when it was one. */
  private boolean skipContainer() throws IOException {
    pending = false;
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
      parser.skipChildren();
      return true;
    }
    return false;
  }
}
