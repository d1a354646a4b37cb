package dev.aigateway.core.agent;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * JSON-RPC 2.0 messages on bytes: where each message, and each of its top-level members, sits in
 * the bytes (so a rewrite splices only what changes), and its parsed tree.
 */
final class Rpc {

  private Rpc() {}

  /** A value's bytes: {@code [start, end)}. */
  record Span(int start, int end) {
    int length() {
      return end - start;
    }
  }

  /**
   * One JSON-RPC message of a document or batch; {@code rawId} is its {@code id} member's JSON text
   * as written in the bytes (null when it has none, or when the message was not read from bytes).
   */
  record Message(JsonNode node, Span span, Map<String, Span> members, @Nullable String rawId) {

    /** A message not read from bytes: its id, if any, is written as its parsed tree has it. */
    Message(JsonNode node, Span span, Map<String, Span> members) {
      this(node, span, members, null);
    }

    @Nullable String method() {
      JsonNode method = node.get("method");
      return method != null && method.isTextual() ? method.textValue() : null;
    }

    /**
     * The id as JSON text ({@code 7}, {@code "a"}, {@code null}), or null for a notification (a
     * message without an id: JSON-RPC 2.0 makes a request with {@code "id": null} a request). It is
     * the text the client wrote ({@code 1e400}, {@code 1.50}, {@code "\u0061"}), not the parser's
     * reading of it ({@code "Infinity"}, {@code 1.5}, {@code "a"}): a local answer echoes it, and
     * the client matches that answer by it.
     */
    @Nullable String id() {
      JsonNode id = node.get("id");
      if (id == null) {
        return null;
      }
      return rawId != null ? rawId : id.toString();
    }

    /**
     * The id as {@link #id()} has it, but a number by its value as a double: {@code 1}, {@code 1.0}
     * and {@code 1e0} are one id, as servers that read ids as numbers (JavaScript, Go, many JSON
     * libraries) take them, and answer all three with {@code 1}; so are {@code 9007199254740993}
     * and {@code 9007199254740992}, which a JavaScript peer reads as the one number {@code
     * 9007199254740992} (an IEEE 754 double holds integers exactly only up to 2^53). A string is
     * never a number: {@code "1"} and {@code 1} are two ids. Null for a notification.
     */
    @Nullable String idKey() {
      return key(node.get("id"));
    }

    /**
     * An id written anywhere (a cancellation's {@code requestId}) as {@link #idKey()} has a
     * message's: a number by its value; null when there is none.
     */
    static @Nullable String key(@Nullable JsonNode id) {
      if (id == null || id.isMissingNode()) {
        return null;
      }
      if (!id.isNumber()) {
        return id.toString();
      }
      // As JavaScript reads it (Number): ids a JavaScript peer cannot tell apart are one id, so
      // two of them are never sent in one batch, and an answer carrying either one's value as
      // such a peer writes it back is matched to its request.
      double value = id.doubleValue();
      if (!Double.isFinite(value)) {
        return value > 0 ? "Infinity" : "-Infinity";
      }
      return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toString();
    }

    /**
     * A top-level member named as one of a request's members ({@code id}, {@code method}, {@code
     * params}) in another case ({@code "Method"}, {@code "ID"}, {@code "paramſ"}), or null. Go's
     * JSON decoder reads such a member as the one it spells (case folded as Unicode folds it), so a
     * server decoding that way may run a request the gateway does not see as one, or another tool;
     * JSON-RPC's member names are case-sensitive, so such a message is not valid.
     */
    @Nullable String memberInAnotherCase() {
      for (String key : members.keySet()) {
        for (String name : REQUEST_MEMBERS) {
          if (!key.equals(name) && key.equalsIgnoreCase(name)) {
            return key;
          }
        }
      }
      return null;
    }

    /**
     * Whether the message has a {@code method} member that is not a string ({@code 7}, {@code
     * ["tools/call"]}, {@code {..}}, {@code true}, or {@code null} outside a response). JSON-RPC's
     * method is a string; a server dispatching by a map or object lookup reads another value as
     * text (JavaScript's {@code handlers[["tools/call"]]} is {@code handlers["tools/call"]}), so
     * what such a message runs is not known. A {@code null} method in a message with a {@code
     * result} or {@code error} is a response written by a serializer that writes every member.
     */
    boolean methodNotAString() {
      JsonNode method = node.get("method");
      if (method == null || method.isTextual()) {
        return false;
      }
      return !method.isNull() || !(node.has("result") || node.has("error"));
    }

    boolean isResponse() {
      return method() == null && (node.has("result") || node.has("error"));
    }
  }

  /** The members that make a message a request, and say what it asks for. */
  private static final String[] REQUEST_MEMBERS = {"id", "method", "params"};

  /** A document: one message or a batch of them. */
  record Document(boolean batch, List<Message> messages) {}

  /**
   * What {@link #parse} gives for text that starts as a JSON object or array but cannot be read
   * whole: malformed or cut short, followed by more text, or beyond the parser's bounds (a number
   * of more than 1,000 digits, nesting deeper than 1,000 levels). A server may still read a request
   * out of it (many read the first value and ignore what follows; others have no such bounds), so
   * what it asks for is not known. It holds no message.
   */
  static final Document UNREADABLE = new Document(false, List.of());

  /**
   * The messages of {@code bytes[span]}, or null when it is not a JSON-RPC message or batch (not
   * JSON, not an object, not an array holding one), or {@link #UNREADABLE}. An object is a message
   * whatever its {@code jsonrpc} member holds. A batch's members that are not objects are left out:
   * a server answers each with an error and still runs the others.
   */
  static @Nullable Document parse(byte[] bytes, Span span) {
    boolean started = false;
    try (JsonParser p = parser(bytes, span)) {
      JsonToken first = p.nextToken();
      if (first == JsonToken.START_OBJECT) {
        started = true;
        Message message = message(bytes, span.start(), p);
        if (p.nextToken() != null) {
          return UNREADABLE;
        }
        return message == null ? null : new Document(false, List.of(message));
      }
      if (first != JsonToken.START_ARRAY) {
        return null;
      }
      started = true;
      List<Message> messages = new ArrayList<>();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
        if (t == null) {
          return UNREADABLE;
        }
        if (t != JsonToken.START_OBJECT) {
          p.skipChildren(); // not a message
          continue;
        }
        Message message = message(bytes, span.start(), p);
        if (message != null) {
          messages.add(message);
        }
      }
      if (p.nextToken() != null) {
        return UNREADABLE;
      }
      return messages.isEmpty() ? null : new Document(true, messages);
    } catch (IOException | RuntimeException e) {
      return started ? UNREADABLE : null;
    }
  }

  /**
   * A request body as UTF-8, the encoding {@link #parse} reads: decoded from the charset its {@code
   * Content-Type} names when that is not UTF-8 (as a server reading it would decode it), else from
   * UTF-16 or UTF-32 when its first bytes show one (a byte-order mark, or the zero bytes of JSON's
   * first characters, as JSON parsers detect it); otherwise the body itself.
   */
  static byte[] utf8(byte[] body, @Nullable String contentType) {
    Charset charset = charset(body, contentType);
    return charset == null ? body : new String(body, charset).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The charset a JSON body is read in when it is not UTF-8 (see {@link #utf8}), or null when it is
   * UTF-8.
   */
  static @Nullable Charset charset(byte[] body, @Nullable String contentType) {
    Charset charset = declaredCharset(contentType);
    if (charset == null || charset.equals(StandardCharsets.UTF_8)) {
      charset = detectedCharset(body);
    }
    return charset == null || charset.equals(StandardCharsets.UTF_8) ? null : charset;
  }

  private static @Nullable Charset declaredCharset(@Nullable String contentType) {
    if (contentType == null) {
      return null;
    }
    for (String parameter : contentType.split(";")) {
      int eq = parameter.indexOf('=');
      if (eq < 0 || !parameter.substring(0, eq).trim().equalsIgnoreCase("charset")) {
        continue;
      }
      String name = parameter.substring(eq + 1).trim();
      if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
        name = name.substring(1, name.length() - 1);
      }
      try {
        return Charset.forName(name);
      } catch (IllegalArgumentException e) {
        return null; // unknown or malformed: read as JSON is read
      }
    }
    return null;
  }

  private static @Nullable Charset detectedCharset(byte[] b) {
    int n = b.length;
    if (n >= 4 && b[0] == 0 && b[1] == 0 && (b[2] & 0xFF) == 0xFE && (b[3] & 0xFF) == 0xFF) {
      return Charset.forName("UTF-32BE");
    }
    if (n >= 4 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE && b[2] == 0 && b[3] == 0) {
      return Charset.forName("UTF-32LE");
    }
    if (n >= 2
        && (((b[0] & 0xFF) == 0xFE && (b[1] & 0xFF) == 0xFF)
            || ((b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE))) {
      return StandardCharsets.UTF_16; // reads the byte-order mark
    }
    if (n >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0) {
      return Charset.forName("UTF-32BE");
    }
    if (n >= 4 && b[1] == 0 && b[2] == 0 && b[3] == 0) {
      return Charset.forName("UTF-32LE");
    }
    if (n >= 2 && b[0] == 0) {
      return StandardCharsets.UTF_16BE;
    }
    if (n >= 2 && b[1] == 0) {
      return StandardCharsets.UTF_16LE;
    }
    return null;
  }

  /** The top-level members of the object at {@code span}, by name. */
  static Map<String, Span> members(byte[] bytes, Span span) throws IOException {
    try (JsonParser p = parser(bytes, span)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return Map.of();
      }
      return members(p, span.start());
    }
  }

  /** The elements of the array at {@code span}. */
  static List<Span> elements(byte[] bytes, Span span) throws IOException {
    try (JsonParser p = parser(bytes, span)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        return List.of();
      }
      List<Span> elements = new ArrayList<>();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
        elements.add(valueSpan(p, span.start()));
      }
      return elements;
    }
  }

  private static @Nullable Message message(byte[] bytes, int base, JsonParser p)
      throws IOException {
    int start = base + (int) p.currentTokenLocation().getByteOffset();
    Map<String, Span> members = members(p, base);
    int end = base + (int) p.currentLocation().getByteOffset();
    Span span = new Span(start, end);
    JsonNode node = Json.parseOrNull(bytes, start, span.length());
    // Whatever its jsonrpc member holds: servers run such a request (the MCP Java SDK's server
    // runs one whose jsonrpc is "1.0" or the number 2.0), so it is governed as one.
    if (node == null || !node.isObject()) {
      return null;
    }
    Span id = members.get("id");
    String rawId =
        id == null
            ? null
            : new String(bytes, id.start(), id.length(), StandardCharsets.UTF_8).strip();
    return new Message(node, span, members, rawId == null || rawId.isEmpty() ? null : rawId);
  }

  /** Reads the members of an object whose START_OBJECT is the current token, up to its end. */
  private static Map<String, Span> members(JsonParser p, int base) throws IOException {
    Map<String, Span> members = new LinkedHashMap<>();
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      p.nextToken();
      members.put(name, valueSpan(p, base));
    }
    return members;
  }

  /** The span of the value whose first token is current; leaves the parser at its last token. */
  private static Span valueSpan(JsonParser p, int base) throws IOException {
    int start = base + (int) p.currentTokenLocation().getByteOffset();
    if (p.currentToken().isStructStart()) {
      p.skipChildren();
    } else {
      p.finishToken();
    }
    int end = base + (int) p.currentLocation().getByteOffset();
    return new Span(start, end);
  }

  private static JsonParser parser(byte[] bytes, Span span) throws IOException {
    // A parser over a copy from 0, so its byte offsets are relative to the span.
    byte[] copy =
        span.start() == 0 && span.end() == bytes.length
            ? bytes
            : Arrays.copyOfRange(bytes, span.start(), span.end());
    return Json.MAPPER.getFactory().createParser(copy);
  }

  /** A JSON-RPC error response for the request id {@code id} (JSON text). */
  static byte[] error(String id, int code, String message, Map<String, Object> data) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    error.put("data", data);
    try {
      return ("{\"jsonrpc\":\"2.0\",\"id\":"
              + id
              + ",\"error\":"
              + Json.MAPPER.writeValueAsString(error)
              + "}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a JSON-RPC error", e);
    }
  }

  /**
   * The texts content checks read anywhere in {@code node}: its string values as they are, and its
   * numbers as their decimal text (a card number sent as {@code 4111111111111111}, or as {@code
   * 4.111111111111111e15}, is read as {@code "4111111111111111"}; see {@link #decimal}), and its
   * objects' member names as they are (a tool taking or returning a map, {@code {"4111 1111 1111
   * 1111": "visa"}}, reads and returns them as data). Booleans and nulls are not read.
   */
  static List<String> strings(@Nullable JsonNode node) {
    List<String> out = new ArrayList<>();
    collect(node, out);
    return out;
  }

  private static void collect(@Nullable JsonNode node, List<String> out) {
    if (node == null) {
      return;
    }
    if (node.isTextual()) {
      out.add(node.textValue());
    } else if (node.isNumber()) {
      String decimal = decimal(node);
      if (decimal != null) {
        out.add(decimal);
      }
    } else if (node.isObject()) {
      for (Map.Entry<String, JsonNode> member : node.properties()) {
        out.add(member.getKey());
        collect(member.getValue(), out);
      }
    } else if (node.isArray()) {
      for (JsonNode child : node) {
        collect(child, out);
      }
    }
  }

  /**
   * A JSON number as the decimal text a tool reading it would print: an integer as its digits
   * ({@code -12}), any other number as its plain decimal value without trailing zeros ({@code
   * 4.111111111111111e15} is {@code 4111111111111111}, {@code 1.50} is {@code 1.5}). Null for a
   * value beyond a double's range ({@code 1e400}), which no tool reads as digits.
   */
  static @Nullable String decimal(JsonNode number) {
    if (number.isIntegralNumber()) {
      return number.bigIntegerValue().toString();
    }
    if ((number.isDouble() || number.isFloat()) && !Double.isFinite(number.doubleValue())) {
      return null;
    }
    java.math.BigDecimal value = number.decimalValue().stripTrailingZeros();
    // A double's plain text is at most about 1,100 characters (its exponent is bounded); a number
    // held as a BigDecimal may have any exponent, whose plain text would not be bounded.
    return Math.abs((long) value.scale()) > 1_100
            || value.abs().compareTo(java.math.BigDecimal.valueOf(Double.MAX_VALUE)) > 0
        ? null
        : value.toPlainString();
  }
}
