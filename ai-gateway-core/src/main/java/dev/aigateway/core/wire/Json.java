package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/** The one shared, thread-safe Jackson mapper of the gateway. */
public final class Json {

  public static final ObjectMapper MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
              .build());

  private Json() {}

  /**
   * The text of the JSON string {@code bytes[offset, offset + length)} (quotes included), or ""
   * when it is not one.
   */
  static String stringOrEmpty(byte[] bytes, int offset, int length) {
    JsonNode node = parseOrNull(bytes, offset, length);
    return node != null && node.isTextual() ? node.textValue() : "";
  }

  /**
   * Whether {@code bytes[offset, offset + length)} begins a JSON value that it does not end: the
   * input ends inside it (Jackson's end-of-input error), as a document cut short does. False for a
   * whole value and for bytes that are not JSON.
   */
  static boolean endsInsideValue(byte[] bytes, int offset, int length) {
    try (JsonParser p = MAPPER.getFactory().createParser(bytes, offset, length)) {
      if (p.nextToken() == null) {
        return false; // nothing but whitespace
      }
      p.skipChildren();
      return false;
    } catch (JsonEOFException e) {
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether {@code bytes[offset, offset + length)} is JSON read whole: one or more values, each
   * well-formed and ended (white space between them), as Jackson reads them.
   */
  static boolean wellFormed(byte[] bytes, int offset, int length) {
    try (JsonParser p = MAPPER.getFactory().createParser(bytes, offset, length)) {
      boolean any = false;
      while (p.nextToken() != null) {
        any = true;
      }
      return any;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The first value of {@code bytes[offset, offset + length)} as a tree when the bytes are JSON
   * read whole ({@link #wellFormed}: every value after it read too); null when they are not.
   */
  static @Nullable JsonNode wholeTree(byte[] bytes, int offset, int length) {
    try (JsonParser p = MAPPER.getFactory().createParser(bytes, offset, length)) {
      if (p.nextToken() == null) {
        return null;
      }
      JsonNode first = p.readValueAsTree();
      while (p.nextToken() != null) {
        // the values after the first: read, so that one that is not JSON is found
      }
      return first != null ? first : NullNode.getInstance();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Parses JSON, returning null instead of throwing on malformed input. */
  public static JsonNode parseOrNull(byte[] bytes, int offset, int length) {
    if (length == 0) {
      return null;
    }
    try {
      return MAPPER.readTree(bytes, offset, length);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
