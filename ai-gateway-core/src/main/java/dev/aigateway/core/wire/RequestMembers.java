package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A few members of a request body, named by JSON pointers through objects ({@code
 * /generationConfig/maxOutputTokens}), read in one pass of Jackson's streaming parser without
 * building the body's tree: every other value is skipped, and only a member looked for is read as a
 * (small) node. What is read equals what the body's tree holds at each pointer: the body must be a
 * JSON object, read to its closing brace as the tree is ({@link Json#parseOrNull} reads the first
 * value and leaves what follows), and a member that appears twice is the later one, as in the tree
 * (a later object replaces every member read under an earlier one). Thread-safe (no state).
 */
final class RequestMembers {

  private RequestMembers() {}

  /**
   * The values at {@code pointers} of {@code body}, in their order, null for a member that is
   * absent or under a non-object; null as a whole when the body is not one JSON object or the
   * streaming read fails (the caller then lets the tree decide, which it does the same way).
   */
  static JsonNode @Nullable [] read(byte[] body, List<String> pointers) {
    int count = pointers.size();
    if (count > Long.SIZE) {
      throw new IllegalArgumentException("at most 64 pointers");
    }
    String[][] paths = new String[count][];
    for (int k = 0; k < count; k++) {
      String pointer = pointers.get(k);
      if (!pointer.startsWith("/") || pointer.contains("~")) {
        throw new IllegalArgumentException("not a plain JSON pointer: " + pointer);
      }
      paths[k] = pointer.substring(1).split("/", -1);
    }
    JsonNode[] values = new JsonNode[count];
    try (JsonParser p = Json.MAPPER.getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      object(p, paths, 0, count == Long.SIZE ? -1L : (1L << count) - 1, values);
      return values;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Reads an object whose opening brace is the parser's current token, to its closing brace; {@code
   * open} marks the pointers whose first {@code depth} names lead here.
   */
  private static void object(
      JsonParser p, String[][] paths, int depth, long open, JsonNode[] values) throws IOException {
    JsonToken token;
    while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      long leaves = 0;
      long deeper = 0;
      for (long rest = open; rest != 0; rest &= rest - 1) {
        int k = Long.numberOfTrailingZeros(rest);
        if (paths[k][depth].equals(name)) {
          values[k] = null; // a later member replaces an earlier one, and all under it
          if (paths[k].length == depth + 1) {
            leaves |= 1L << k;
          } else {
            deeper |= 1L << k;
          }
        }
      }
      if (leaves != 0) {
        JsonNode node = Json.MAPPER.readTree(p);
        for (long rest = leaves; rest != 0; rest &= rest - 1) {
          values[Long.numberOfTrailingZeros(rest)] = node;
        }
        for (long rest = deeper; rest != 0; rest &= rest - 1) {
          int k = Long.numberOfTrailingZeros(rest);
          values[k] = under(node, paths[k], depth + 1);
        }
      } else if (deeper != 0 && value == JsonToken.START_OBJECT) {
        object(p, paths, depth + 1, deeper, values);
      } else {
        p.skipChildren();
      }
    }
    if (token != JsonToken.END_OBJECT) {
      throw new IOException("not an object");
    }
  }

  /** The member of {@code node} at {@code path[from..]}, through objects only; null when absent. */
  private static @Nullable JsonNode under(@Nullable JsonNode node, String[] path, int from) {
    for (int k = from; node != null && k < path.length; k++) {
      node = node.isObject() ? node.get(path[k]) : null;
    }
    return node;
  }
}
