package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link StrictJson}'s walk against a plain reference written from the grammar (RFC 8259, RFC 3629,
 * the limits documented on {@link StrictJson}), one byte at a time and one call per value: on
 * random documents, the same documents cut, with a byte changed, put in or taken out, and at every
 * start, both give the same end (or both refuse) and note the same value strings; and what the walk
 * accepts, Jackson reads to the same end.
 */
class StrictJsonWalkTest {

  /** Pieces of string content: plain, every escape, control, multi-byte, and invalid UTF-8. */
  private static final byte[][] STRING_PIECES = {
    bytes("a"),
    bytes("Hello team, "),
    bytes(" "),
    bytes("~"),
    bytes("\\\""),
    bytes("\\\\"),
    bytes("\\/"),
    bytes("\\b"),
    bytes("\\f"),
    bytes("\\n"),
    bytes("\\r"),
    bytes("\\t"),
    bytes("\\u00e9"),
    bytes("\\uD83D\\uDE00"),
    bytes("\\uZZZZ"),
    bytes("\\u12"),
    bytes("\\x"),
    bytes("\\"),
    bytes("\u00e9"),
    bytes("\u20ac"),
    bytes("\ud83d\ude00"),
    bytes("\uffff"),
    {0x00},
    {0x01},
    {0x1f},
    {0x7f},
    {'\n'},
    {(byte) 0x80},
    {(byte) 0xbf},
    {(byte) 0xc0, (byte) 0x80}, // overlong
    {(byte) 0xc1, (byte) 0xbf}, // overlong
    {(byte) 0xe0, (byte) 0x9f, (byte) 0xbf}, // overlong
    {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // a surrogate
    {(byte) 0xed, (byte) 0x9f, (byte) 0xbf}, // the last before the surrogates
    {(byte) 0xf0, (byte) 0x8f, (byte) 0xbf, (byte) 0xbf}, // overlong
    {(byte) 0xf4, (byte) 0x8f, (byte) 0xbf, (byte) 0xbf}, // U+10FFFF
    {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // past U+10FFFF
    {(byte) 0xf5, (byte) 0x80, (byte) 0x80, (byte) 0x80},
    {(byte) 0xe2, (byte) 0x82}, // cut short
    {(byte) 0xc3},
    {(byte) 0xff},
  };

  /** Numbers and literals, valid and not. */
  private static final String[] SCALARS = {
    "0",
    "-0",
    "7",
    "1767225600",
    "-12.5e+3",
    "3.14159",
    "1E9",
    "2e-7",
    "0.0",
    "01",
    "1.",
    ".5",
    "-",
    "1e",
    "1e+",
    "+1",
    "0x1f",
    "1" + "0".repeat(StrictJson.MAX_NUMBER_LENGTH - 1),
    "1" + "0".repeat(StrictJson.MAX_NUMBER_LENGTH),
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "fals",
    "True",
    "nulL",
    "NaN",
    "Infinity",
  };

  private static final String[] SPACES = {"", "", "", " ", "\n", "\r\n", "\t", "  "};

  @Test
  void walkEndsWhereTheReferenceEndsOnRandomDocumentsAndTheirDamagedForms() {
    SplittableRandom random = new SplittableRandom(2026);
    StrictJson walk = new StrictJson();
    Reference reference = new Reference();
    int accepted = 0;
    int damagedAccepted = 0;
    for (int run = 0; run < 6_000; run++) {
      byte[] json = document(random);
      accepted += compare(walk, reference, json, 0, json.length, 0) >= 0 ? 1 : 0;
      byte[] damaged = damage(random, json);
      damagedAccepted += compare(walk, reference, damaged, 0, damaged.length, 0) >= 0 ? 1 : 0;
      // Any start, any end, any depth: values inside, cut, beside what surrounds them.
      for (int k = 0; k < 6; k++) {
        int from = random.nextInt(damaged.length + 1);
        int to = from + random.nextInt(damaged.length - from + 1);
        compare(walk, reference, damaged, from, to, random.nextInt(StrictJson.MAX_DEPTH + 2));
      }
    }
    assertThat(accepted).isGreaterThan(1_000);
    assertThat(damagedAccepted).isGreaterThan(300);
  }

  @Test
  void everyCutOfADocumentIsRefusedAsTheReferenceRefusesIt() {
    SplittableRandom random = new SplittableRandom(99);
    StrictJson walk = new StrictJson();
    Reference reference = new Reference();
    for (int run = 0; run < 300; run++) {
      byte[] json = document(random);
      for (int to = 0; to <= json.length; to++) {
        compare(walk, reference, json, 0, to, 0);
        byte[] alone = Arrays.copyOf(json, to); // the cut at the array's end
        compare(walk, reference, alone, 0, to, 0);
      }
    }
  }

  /**
   * Nesting up to the limit and one past it, counted from every depth a caller starts at, in arrays
   * and objects mixed.
   */
  @Test
  void nestingIsRefusedJustPastTheLimitFromEveryStartingDepth() {
    SplittableRandom random = new SplittableRandom(5);
    StrictJson walk = new StrictJson();
    Reference reference = new Reference();
    for (int levels = StrictJson.MAX_DEPTH - 2; levels <= StrictJson.MAX_DEPTH + 1; levels++) {
      for (int depth = 0; depth <= 3; depth++) {
        StringBuilder open = new StringBuilder();
        StringBuilder close = new StringBuilder();
        for (int k = 0; k < levels; k++) {
          if (random.nextBoolean()) {
            open.append("{\"k\":");
            close.insert(0, '}');
          } else {
            open.append("[1,");
            close.insert(0, ']');
          }
        }
        byte[] json = bytes(open + "\"deep\"" + close);
        int end = compare(walk, reference, json, 0, json.length, depth);
        assertThat(end >= 0)
            .as("%d levels from depth %d", levels, depth)
            .isEqualTo(levels + depth <= StrictJson.MAX_DEPTH);
      }
    }
  }

  /**
   * A string ending at every offset of an array, with a byte that needs a look at every place of
   * the eight-byte steps before it: the end found is the reference's, for {@code to} at the array's
   * end and a byte short of it.
   */
  @Test
  void stringsEndingAtEveryOffsetNearTheArraysEndAreReadAsTheReferenceReadsThem() {
    byte[][] rare = {
      {'"'},
      {'\\', 'n'},
      {'\\'},
      {0x1f},
      {0x7f},
      {(byte) 0xc3, (byte) 0xa9},
      {(byte) 0xc3},
      {(byte) 0xa9}
    };
    StrictJson walk = new StrictJson();
    Reference reference = new Reference();
    for (int length = 0; length <= 40; length++) {
      for (byte[] odd : rare) {
        for (int at = -1; at < length; at++) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.write('"');
          for (int k = 0; k < length; k++) {
            if (k == at) {
              out.writeBytes(odd);
            } else {
              out.write('a' + k % 26);
            }
          }
          out.write('"');
          byte[] json = out.toByteArray();
          for (int to = Math.max(0, json.length - 2); to <= json.length; to++) {
            assertThat(StrictJson.string(json, 0, to, true))
                .as("%s to %d", new String(json, UTF_8), to)
                .isEqualTo(reference.string(json, 0, to, true));
            assertThat(StrictJson.string(json, 0, to, false))
                .isEqualTo(reference.string(json, 0, to, false));
            compare(walk, reference, json, 0, to, 0);
          }
        }
      }
    }
  }

  /** What the walk accepts whole is a document Jackson reads to the same end. */
  @Test
  void whatTheWalkAcceptsJacksonReadsToTheSameEnd() throws IOException {
    SplittableRandom random = new SplittableRandom(17);
    StrictJson walk = StrictJson.NOT_NOTING;
    int read = 0;
    for (int run = 0; run < 4_000; run++) {
      byte[] json = random.nextBoolean() ? document(random) : damage(random, document(random));
      int end = walk.value(json, 0, json.length, 0);
      if (end < 0) {
        continue;
      }
      read++;
      try (JsonParser p = Json.MAPPER.getFactory().createParser(json, 0, end)) {
        JsonNode tree = Json.MAPPER.readTree(p);
        assertThat(tree).as(new String(json, UTF_8)).isNotNull();
        assertThat(p.currentLocation().getByteOffset()).isEqualTo(end);
      }
    }
    assertThat(read).isGreaterThan(1_000);
  }

  /**
   * Compares the walk with the reference on {@code json[from, to)} at {@code depth}: the same end,
   * the same value strings noted. Returns the end.
   */
  private static int compare(
      StrictJson walk, Reference reference, byte[] json, int from, int to, int depth) {
    walk.forgetStrings();
    reference.strings = 0;
    int expected = reference.value(json, from, to, depth);
    int end = walk.value(json, from, to, depth);
    String as = new String(json, UTF_8) + " [" + from + ", " + to + ") at depth " + depth;
    assertThat(end).as(as).isEqualTo(expected);
    if (end >= 0) {
      assertThat(Arrays.copyOf(walk.strings(), walk.stringCount() * 2))
          .as(as)
          .isEqualTo(Arrays.copyOf(reference.noted, reference.strings * 2));
    }
    assertThat(StrictJson.NOT_NOTING.value(json, from, to, depth)).as(as).isEqualTo(expected);
    return end;
  }

  /** A random JSON value, mostly valid, with space anywhere space may be. */
  private static byte[] document(SplittableRandom random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    value(random, out, random.nextInt(5));
    return out.toByteArray();
  }

  private static void value(SplittableRandom random, ByteArrayOutputStream out, int depth) {
    int kind = random.nextInt(depth > 0 ? 6 : 3);
    switch (kind) {
      case 0 -> string(random, out);
      case 1 ->
          out.writeBytes(
              bytes(SCALARS[random.nextInt(random.nextInt(8) == 0 ? SCALARS.length : 8)]));
      case 2 -> out.writeBytes(bytes(SCALARS[19 + random.nextInt(3)]));
      case 3, 4 -> {
        out.write('{');
        space(random, out);
        for (int k = random.nextInt(5); k > 0; k--) {
          string(random, out);
          space(random, out);
          out.write(':');
          space(random, out);
          value(random, out, depth - 1);
          space(random, out);
          if (k > 1) {
            out.write(',');
            space(random, out);
          }
        }
        out.write('}');
      }
      default -> {
        out.write('[');
        space(random, out);
        for (int k = random.nextInt(5); k > 0; k--) {
          value(random, out, depth - 1);
          space(random, out);
          if (k > 1) {
            out.write(',');
            space(random, out);
          }
        }
        out.write(']');
      }
    }
  }

  private static void string(SplittableRandom random, ByteArrayOutputStream out) {
    out.write('"');
    out.writeBytes(bytes("x".repeat(random.nextInt(random.nextInt(4) == 0 ? 40 : 9))));
    for (int k = random.nextInt(3); k > 0; k--) {
      boolean plain = random.nextInt(8) != 0;
      out.writeBytes(
          plain
              ? STRING_PIECES[random.nextInt(4)]
              : STRING_PIECES[random.nextInt(STRING_PIECES.length)]);
      out.writeBytes(bytes("y".repeat(random.nextInt(12))));
    }
    out.write('"');
  }

  private static void space(SplittableRandom random, ByteArrayOutputStream out) {
    out.writeBytes(bytes(SPACES[random.nextInt(SPACES.length)]));
  }

  /** The document cut, a byte changed, put in or taken out. */
  private static byte[] damage(SplittableRandom random, byte[] json) {
    if (json.length == 0) {
      return json;
    }
    int at = random.nextInt(json.length);
    byte[] odd = {
      '"', '\\', ',', ':', '{', '}', '[', ']', ' ', '0', 'e', '-', '.', 0x01, (byte) 0xc3
    };
    byte b = random.nextBoolean() ? odd[random.nextInt(odd.length)] : (byte) random.nextInt(256);
    return switch (random.nextInt(4)) {
      case 0 -> Arrays.copyOf(json, at);
      case 1 -> {
        byte[] changed = json.clone();
        changed[at] = b;
        yield changed;
      }
      case 2 -> {
        byte[] longer = new byte[json.length + 1];
        System.arraycopy(json, 0, longer, 0, at);
        longer[at] = b;
        System.arraycopy(json, at, longer, at + 1, json.length - at);
        yield longer;
      }
      default -> {
        byte[] shorter = new byte[json.length - 1];
        System.arraycopy(json, 0, shorter, 0, at);
        System.arraycopy(json, at + 1, shorter, at, json.length - at - 1);
        yield shorter;
      }
    };
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }

  /**
   * The grammar as written: one method per rule, one byte at a time. Notes the value strings it
   * skipped, in order.
   */
  private static final class Reference {
    int[] noted = new int[64];
    int strings;

    int value(byte[] json, int i, int to, int depth) {
      if (i < 0 || i >= to) {
        return -1;
      }
      byte b = json[i];
      if (b == '"') {
        int end = string(json, i, to, true);
        if (end >= 0) {
          if (strings * 2 == noted.length) {
            noted = Arrays.copyOf(noted, noted.length * 2);
          }
          noted[strings * 2] = i;
          noted[strings * 2 + 1] = end;
          strings++;
        }
        return end;
      } else if (b == '{' || b == '[') {
        if (depth >= StrictJson.MAX_DEPTH) {
          return -1;
        }
        boolean object = b == '{';
        int k = space(json, i + 1, to);
        if (k < to && json[k] == (object ? '}' : ']')) {
          return k + 1;
        }
        while (true) {
          if (object) {
            if (k >= to || json[k] != '"') {
              return -1;
            }
            k = string(json, k, to, true);
            if (k < 0) {
              return -1;
            }
            k = space(json, k, to);
            if (k >= to || json[k] != ':') {
              return -1;
            }
            k = space(json, k + 1, to);
          }
          k = value(json, k, to, depth + 1);
          if (k < 0) {
            return -1;
          }
          k = space(json, k, to);
          if (k >= to) {
            return -1;
          }
          if (json[k] == (object ? '}' : ']')) {
            return k + 1;
          }
          if (json[k] != ',') {
            return -1;
          }
          k = space(json, k + 1, to);
        }
      }
      for (String literal : new String[] {"true", "false", "null"}) {
        if (b == literal.charAt(0)) {
          byte[] l = bytes(literal);
          return to - i >= l.length && Arrays.equals(json, i, i + l.length, l, 0, l.length)
              ? i + l.length
              : -1;
        }
      }
      return number(json, i, to);
    }

    static int space(byte[] json, int i, int to) {
      while (i < to && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) {
        i++;
      }
      return i;
    }

    static int number(byte[] json, int i, int to) {
      int start = i;
      if (i < to && json[i] == '-') {
        i++;
      }
      if (i >= to || json[i] < '0' || json[i] > '9') {
        return -1;
      }
      if (json[i] == '0') {
        i++;
      } else {
        while (i < to && json[i] >= '0' && json[i] <= '9') {
          i++;
        }
      }
      if (i < to && json[i] == '.') {
        int digits = ++i;
        while (i < to && json[i] >= '0' && json[i] <= '9') {
          i++;
        }
        if (i == digits) {
          return -1;
        }
      }
      if (i < to && (json[i] == 'e' || json[i] == 'E')) {
        i++;
        if (i < to && (json[i] == '+' || json[i] == '-')) {
          i++;
        }
        int digits = i;
        while (i < to && json[i] >= '0' && json[i] <= '9') {
          i++;
        }
        if (i == digits) {
          return -1;
        }
      }
      return i - start <= StrictJson.MAX_NUMBER_LENGTH ? i : -1;
    }

    int string(byte[] json, int i, int to, boolean escapes) {
      int j = i + 1;
      while (j < to) {
        int b = json[j] & 0xff;
        if (b == '"') {
          return j + 1;
        } else if (b == '\\') {
          if (!escapes || j + 1 >= to) {
            return -1;
          }
          int e = json[j + 1];
          if (e == 'u') {
            if (j + 6 > to) {
              return -1;
            }
            for (int k = j + 2; k < j + 6; k++) {
              if (Character.digit(json[k], 16) < 0) {
                return -1;
              }
            }
            j += 6;
          } else if ("\"\\/bfnrt".indexOf(e) >= 0) {
            j += 2;
          } else {
            return -1;
          }
        } else if (b < 0x20) {
          return -1;
        } else if (b < 0x80) {
          j++;
        } else {
          int length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
          if (b < 0xc2 || b > 0xf4 || j + length > to) {
            return -1;
          }
          int codePoint = b & (0xff >> (length + 1));
          for (int k = 1; k < length; k++) {
            int c = json[j + k] & 0xff;
            if ((c & 0xc0) != 0x80) {
              return -1;
            }
            codePoint = codePoint << 6 | (c & 0x3f);
          }
          int least = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
          if (codePoint < least
              || codePoint > 0x10ffff
              || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
            return -1;
          }
          j += length;
        }
      }
      return -1;
    }
  }
}
