package dev.aigateway.core.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * JSON text written by hand at random for property tests of the request readers, so that members
 * can repeat, strings carry escapes, non-ASCII text and lone surrogates (as escapes), and
 * whitespace falls anywhere; and broken copies of such text. Subclasses add the shapes of a
 * request.
 */
class RandomJsonText {

  /** The scalars {@link #scalar()} writes: literals, and numbers of every form. */
  private static final String[] SCALARS = {
    "null", "true", "false", "0", "-1", "3.5", "1e3", "12345678901234567890123", "-0.0", "2E-2"
  };

  /**
   * Words of plain, non-ASCII, emoji and escaped text, empty and blank strings, a special token.
   */
  private static final String[] WORDS = {
    "hello",
    "the",
    "weather",
    "in",
    "Paris",
    "déjà vu",
    "日本語のテキスト",
    "🙂 emoji",
    "a\"quote",
    "back\\slash",
    "line\nbreak",
    "tab\t",
    "",
    " ",
    "<|endoftext|>",
    "user"
  };

  /** The members of a chat message that every request test writes; each test adds its own. */
  private static final String[] MESSAGE_KEYS = {
    "role", "content", "name", "tool_call_id", "tool_calls", "function_call", "refusal", "audio"
  };

  final Random random;
  final StringBuilder out = new StringBuilder();
  private final String[] words;

  /** The shared words and {@code more}. */
  static String[] words(String... more) {
    String[] all = Arrays.copyOf(WORDS, WORDS.length + more.length);
    System.arraycopy(more, 0, all, WORDS.length, more.length);
    return all;
  }

  /** The shared message members and {@code more}. */
  static String[] messageKeys(String... more) {
    String[] all = Arrays.copyOf(MESSAGE_KEYS, MESSAGE_KEYS.length + more.length);
    System.arraycopy(more, 0, all, MESSAGE_KEYS.length, more.length);
    return all;
  }

  /**
   * Members of an object, written later by {@code member}: each of {@code keys} with odds of one in
   * {@code oneIn} (or always, when {@code always} says so), then, with odds of one in {@code
   * repeatOneIn}, one of them again.
   */
  final List<Runnable> someMembers(
      String[] keys,
      int oneIn,
      Predicate<String> always,
      int repeatOneIn,
      Consumer<String> member) {
    List<Runnable> members = new ArrayList<>();
    for (String key : keys) {
      if (random.nextInt(oneIn) == 0 || always.test(key)) {
        members.add(() -> member.accept(key));
      }
    }
    if (random.nextInt(repeatOneIn) == 0) { // a repeated member
      String key = keys[random.nextInt(keys.length)];
      members.add(() -> member.accept(key));
    }
    return members;
  }

  /** Text whose strings are made of {@code words}. */
  RandomJsonText(Random random, String[] words) {
    this.random = random;
    this.words = words;
  }

  /** Any value, containers at most {@code depth} deep. */
  void any(int depth) {
    int kind = random.nextInt(depth > 0 ? 4 : 2);
    switch (kind) {
      case 0 -> scalar();
      case 1 -> text();
      case 2 -> array(3, () -> any(depth - 1));
      default -> {
        List<Runnable> members = new java.util.ArrayList<>();
        int count = random.nextInt(4);
        for (int k = 0; k < count; k++) {
          String key = random.nextInt(3) == 0 ? "text" : "k" + random.nextInt(4);
          members.add(
              () -> {
                name(key);
                any(depth - 1);
              });
        }
        object(members);
      }
    }
  }

  void scalar() {
    out.append(SCALARS[random.nextInt(SCALARS.length)]);
  }

  /** A string of up to four words, each followed by a space. */
  void text() {
    StringBuilder text = new StringBuilder();
    int count = random.nextInt(5);
    for (int k = 0; k < count; k++) {
      text.append(words[random.nextInt(words.length)]).append(' ');
    }
    string(text.toString());
  }

  /**
   * {@code text} as a JSON string: quotes and backslashes escaped, control characters as {@code \n}
   * or {@code \}{@code u} escapes, some non-ASCII characters escaped (a surrogate pair both halves
   * or neither), a lone surrogate always escaped.
   */
  void string(String text) {
    out.append('"');
    for (int k = 0; k < text.length(); k++) {
      char c = text.charAt(k);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < ' ') {
        out.append(random.nextBoolean() ? String.format("\\u%04x", (int) c) : "\\n");
      } else if (Character.isHighSurrogate(c)
          && k + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(k + 1))) {
        boolean escaped = random.nextInt(4) == 0;
        for (char half : new char[] {c, text.charAt(++k)}) {
          out.append(escaped ? String.format("\\u%04X", (int) half) : String.valueOf(half));
        }
      } else if (Character.isSurrogate(c)) {
        out.append(String.format("\\u%04x", (int) c)); // a lone surrogate: only as an escape
      } else if (c > 127 && random.nextInt(4) == 0) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }

  /** A member's name and its colon. */
  void name(String name) {
    space();
    string(name);
    space();
    out.append(':');
    space();
  }

  void object(List<Runnable> members) {
    out.append('{');
    for (int k = 0; k < members.size(); k++) {
      if (k > 0) {
        out.append(',');
      }
      members.get(k).run();
    }
    space();
    out.append('}');
  }

  /** A model's value: one time in {@code oddOneIn} a scalar, else one of {@code names}. */
  void model(int oddOneIn, String... names) {
    if (random.nextInt(oddOneIn) == 0) {
      scalar();
    } else {
      string(names[random.nextInt(names.length)]);
    }
  }

  /** The document: an object of {@code members} in a random order; the text written. */
  String document(List<Runnable> members) {
    java.util.Collections.shuffle(members, random);
    object(members);
    return out.toString();
  }

  /** An array of up to {@code most} elements. */
  void array(int most, Runnable element) {
    out.append('[');
    int count = random.nextInt(most + 1);
    for (int k = 0; k < count; k++) {
      if (k > 0) {
        out.append(',');
      }
      space();
      element.run();
    }
    space();
    out.append(']');
  }

  /** Now and then one whitespace character. */
  void space() {
    if (random.nextInt(5) == 0) {
      out.append(" \n\t\r".charAt(random.nextInt(4)));
    }
  }

  /** The bytes with one random change: cut short, a byte replaced, a byte inserted. */
  static byte[] broken(byte[] bytes, Random random) {
    int at = random.nextInt(bytes.length);
    return switch (random.nextInt(3)) {
      case 0 -> Arrays.copyOf(bytes, at);
      case 1 -> {
        byte[] changed = bytes.clone();
        String replacements = "{}[]\",:\\ \u0001x9";
        changed[at] = (byte) replacements.charAt(random.nextInt(replacements.length()));
        if (random.nextInt(4) == 0) {
          changed[at] = (byte) (0x80 + random.nextInt(0x80)); // not UTF-8 here
        }
        yield changed;
      }
      default -> {
        byte[] longer = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, longer, 0, at);
        longer[at] = (byte) "{}[]\",:".charAt(random.nextInt(7));
        System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
        yield longer;
      }
    };
  }
}
