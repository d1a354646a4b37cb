package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A few members of a request body, named by JSON pointers through objects ({@code
 * /generationConfig/maxOutputTokens}), read without building the body's tree. The body is walked on
 * its bytes first ({@link ObjectMembers} over {@link StrictJson}: no parser, every value skipped
 * unless a pointer leads into it, a plain whole number read on its bytes); a body that walk does
 * not accept (escaped names, trailing bytes, anything {@link StrictJson} leaves to Jackson) is read
 * in one pass of Jackson's streaming parser instead, only the members looked for read as (small)
 * nodes. Either way what is read equals what the body's tree holds at each pointer: the body must
 * be a JSON object, read to its closing brace as the tree is ({@link Json#parseOrNull} reads the
 * first value and leaves what follows), and of a member that appears twice the later one counts, as
 * in the tree (a later object replaces every member read under an earlier one). Immutable and
 * thread-safe; one per set of pointers.
 */
final class RequestMembers {

  private final List<String> pointers;
  private final String[][] paths;

  /** The names looked for at the body's top level, and under them. */
  private final Level root;

  private RequestMembers(List<String> pointers) {
    if (pointers.size() > Long.SIZE) {
      throw new IllegalArgumentException("at most 64 pointers");
    }
    this.pointers = List.copyOf(pointers);
    this.paths = new String[pointers.size()][];
    for (int k = 0; k < paths.length; k++) {
      String pointer = pointers.get(k);
      if (!pointer.startsWith("/") || pointer.contains("~")) {
        throw new IllegalArgumentException("not a plain JSON pointer: " + pointer);
      }
      paths[k] = pointer.substring(1).split("/", -1);
    }
    this.root = new Level(paths, 0, paths.length == Long.SIZE ? -1L : (1L << paths.length) - 1);
  }

  /** A reader of the members at {@code pointers} (JSON pointers through objects, no escapes). */
  static RequestMembers of(List<String> pointers) {
    return new RequestMembers(pointers);
  }

  /** The index of {@code pointer} among this reader's, or -1. */
  int indexOf(String pointer) {
    return pointers.indexOf(pointer);
  }

  /**
   * The values at this reader's pointers in {@code body}, in their order, null for a member that is
   * absent or under a non-object; null as a whole when the body is not one JSON object or the read
   * fails (the caller then lets the tree decide, which it does the same way).
   */
  JsonNode @Nullable [] read(byte[] body) {
    JsonNode[] values = new JsonNode[paths.length];
    if (body.length <= StrictJson.MAX_LENGTH && onBytes(body, 0, body.length, root, values)) {
      return values;
    }
    java.util.Arrays.fill(values, null);
    try (JsonParser p = Json.MAPPER.getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      object(p, 0, root.open, values);
      return values;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The fast way: the object at {@code body[from, to)} walked on its bytes, the members looked for
   * at {@code level} noted (the last of a name, as the tree keeps it) and read; false when the walk
   * does not accept the object (then nothing read counts).
   */
  private static boolean onBytes(byte[] body, int from, int to, Level level, JsonNode[] values) {
    ObjectMembers members = new ObjectMembers(level.quotedNames);
    if (!members.walk(body, from, to)) {
      return false;
    }
    for (int k = 0; k < level.quotedNames.length; k++) {
      int start = members.start(k);
      if (start < 0) {
        continue;
      }
      int end = members.end(k);
      long leaves = level.leaves[k];
      if (leaves != 0) {
        JsonNode node = node(body, start, end);
        for (long rest = leaves; rest != 0; rest &= rest - 1) {
          values[Long.numberOfTrailingZeros(rest)] = node;
        }
      }
      Level below = level.below[k];
      if (below != null && body[start] == '{' && !onBytes(body, start, end, below, values)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The node the tree holds for the value {@code body[start, end)}, one {@link StrictJson}
   * accepted: a plain whole number of up to 18 digits made here (an int node when it fits, else a
   * long node, as Jackson makes them), anything else parsed on its own.
   */
  private static @Nullable JsonNode node(byte[] body, int start, int end) {
    int digits = body[start] == '-' ? start + 1 : start;
    if (end - digits > 0 && end - digits <= 18) {
      long value = 0;
      int k = digits;
      while (k < end && body[k] >= '0' && body[k] <= '9') {
        value = value * 10 + (body[k++] - '0');
      }
      if (k == end) {
        long signed = digits > start ? -value : value;
        return signed == (int) signed ? IntNode.valueOf((int) signed) : LongNode.valueOf(signed);
      }
    }
    return Json.parseOrNull(body, start, end - start);
  }

  /**
   * The careful way: reads an object whose opening brace is the parser's current token, to its
   * closing brace; {@code open} marks the pointers whose first {@code depth} names lead here.
   */
  private void object(JsonParser p, int depth, long open, JsonNode[] values) throws IOException {
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
        object(p, depth + 1, deeper, values);
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

  /**
   * The names looked for in the objects at one depth of the pointers: per name, the pointers that
   * end there and the level below it (null when none goes on).
   */
  private static final class Level {
    final long open;
    final byte[][] quotedNames;
    final long[] leaves;
    final @Nullable Level[] below;

    Level(String[][] paths, int depth, long open) {
      this.open = open;
      Map<String, long[]> byName = new LinkedHashMap<>(); // name -> {leaves, deeper}
      for (long rest = open; rest != 0; rest &= rest - 1) {
        int k = Long.numberOfTrailingZeros(rest);
        long[] masks = byName.computeIfAbsent(paths[k][depth], name -> new long[2]);
        masks[paths[k].length == depth + 1 ? 0 : 1] |= 1L << k;
      }
      List<String> names = new ArrayList<>(byName.keySet());
      this.quotedNames = new byte[names.size()][];
      this.leaves = new long[names.size()];
      this.below = new Level[names.size()];
      for (int k = 0; k < names.size(); k++) {
        long[] masks = byName.get(names.get(k));
        quotedNames[k] = ObjectMembers.quoted(names.get(k));
        leaves[k] = masks[0];
        below[k] = masks[1] == 0 ? null : new Level(paths, depth + 1, masks[1]);
      }
    }
  }
}
