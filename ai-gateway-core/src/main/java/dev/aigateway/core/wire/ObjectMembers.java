package dev.aigateway.core.wire;

/**
 * Finds a few named members of a JSON object on its bytes, without a parser and without allocating:
 * the stream readers of Anthropic's and Bedrock's events use it to read the events that are nearly
 * all of a stream (a text delta) and to leave every other one to Jackson.
 *
 * <p>{@link #walk} accepts an object only when {@link StrictJson} accepts every value in it and no
 * member name holds an escape (an escaped name could spell one looked for), so that an accepted
 * object is one Jackson reads to the same tree; as Jackson's tree does, the last of two members of
 * the same name is the one noted. For any other input the caller leaves the bytes to Jackson.
 *
 * <p>One instance per reader; it serves one thread.
 */
final class ObjectMembers {

  private final byte[][] names;

  /** Per name looked for, where its value starts and ends; -1 when absent. */
  private final int[] values;

  private boolean others;
  private boolean duplicates;

  /** A walker noting the members named {@code quotedNames} (each with its quotes, as bytes). */
  ObjectMembers(byte[]... quotedNames) {
    this.names = quotedNames;
    this.values = new int[quotedNames.length * 2];
  }

  /** {@code name} with its quotes, as UTF-8 bytes. */
  static byte[] quoted(String name) {
    return ('"' + name + '"').getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Walks the object at {@code json[from, to)} (whitespace around it allowed, nothing else);
   * returns false when it is not one accepted here, and what was noted is then meaningless.
   *
   * <p>A member whose name has a walker {@linkplain #nest nested} for it, and whose value is an
   * object, has its value walked by that walker in the same pass (a walker of its own, as {@link
   * #walk} walks, its noted members valid after this walk as after its own); such a name coming
   * twice makes the walk refuse the object (the nested walker would hold the first one's members,
   * where Jackson keeps the last).
   */
  boolean walk(byte[] json, int from, int to) {
    forget();
    int i = StrictJson.skipSpace(json, from, to);
    if (i >= to || json[i] != '{') {
      return false;
    }
    int end = members(json, i, to, 0);
    return end >= 0 && StrictJson.skipSpace(json, end, to) == to;
  }

  /**
   * Has {@code inner} walk the value of the {@code k}th name, when it is an object, as part of
   * every {@link #walk} of this one; returns this walker.
   */
  ObjectMembers nest(int k, ObjectMembers inner) {
    if (nested == null) {
      nested = new ObjectMembers[names.length];
    }
    nested[k] = inner;
    return this;
  }

  /** Per name, the walker of its object value ({@link #nest}); null when none is. */
  private ObjectMembers[] nested;

  /**
   * Whether anything may be noted since the last {@link #forget} (a nested walker that the last
   * walk did not reach has nothing to forget).
   */
  private boolean noted = true;

  /** Forgets what was noted, here and in the nested walkers. */
  private void forget() {
    if (!noted) {
      return;
    }
    noted = false;
    java.util.Arrays.fill(values, -1);
    others = false;
    duplicates = false;
    if (nested != null) {
      for (ObjectMembers inner : nested) {
        if (inner != null) {
          inner.forget();
        }
      }
    }
  }

  /**
   * Walks the members of the object whose opening brace is at {@code i}, the object being {@code
   * depth} objects and arrays deep (0 at the root, its values walked as {@link StrictJson} walks
   * them one deeper); returns where it ends, after its closing brace, or -1 when it is not one
   * accepted here.
   */
  private int members(byte[] json, int i, int to, int depth) {
    noted = true;
    i = StrictJson.skipSpace(json, i + 1, to);
    if (i < to && json[i] == '}') {
      return i + 1;
    }
    while (true) {
      if (i >= to || json[i] != '"') {
        return -1;
      }
      int nameEnd = StrictJson.string(json, i, to, false);
      if (nameEnd < 0) {
        return -1;
      }
      int name = indexOf(json, i, nameEnd);
      int colon = StrictJson.skipSpace(json, nameEnd, to);
      if (colon >= to || json[colon] != ':') {
        return -1;
      }
      int valueStart = StrictJson.skipSpace(json, colon + 1, to);
      int valueEnd;
      ObjectMembers inner = name >= 0 && nested != null ? nested[name] : null;
      if (inner != null && values[name * 2] >= 0) {
        return -1; // a nested member twice: left to Jackson
      }
      if (inner != null && valueStart < to && json[valueStart] == '{') {
        if (depth + 1 >= StrictJson.MAX_DEPTH) {
          return -1;
        }
        valueEnd = inner.members(json, valueStart, to, depth + 1);
      } else {
        valueEnd = StrictJson.NOT_NOTING.value(json, valueStart, to, depth + 1);
      }
      if (valueEnd < 0) {
        return -1;
      }
      if (name >= 0) {
        duplicates |= values[name * 2] >= 0;
        values[name * 2] = valueStart;
        values[name * 2 + 1] = valueEnd;
      } else {
        others = true;
      }
      i = StrictJson.skipSpace(json, valueEnd, to);
      if (i >= to) {
        return -1;
      } else if (json[i] == '}') {
        return i + 1;
      } else if (json[i] != ',') {
        return -1;
      }
      i = StrictJson.skipSpace(json, i + 1, to);
    }
  }

  private int indexOf(byte[] json, int from, int to) {
    for (int k = 0; k < names.length; k++) {
      if (StrictJson.is(json, from, to, names[k])) {
        return k;
      }
    }
    return -1;
  }

  /**
   * This walker, then each walker {@linkplain #nest nested} in it (each followed by those nested in
   * it), in the order of the names they walk: the walkers a {@link #walk} of this one notes in.
   */
  ObjectMembers[] tree() {
    ObjectMembers[] walkers = new ObjectMembers[treeSize()];
    addTree(walkers, 0);
    return walkers;
  }

  private int treeSize() {
    int size = 1;
    if (nested != null) {
      for (ObjectMembers inner : nested) {
        size += inner == null ? 0 : inner.treeSize();
      }
    }
    return size;
  }

  /** Puts this walker's tree into {@code walkers} from {@code at}; returns where it ends. */
  private int addTree(ObjectMembers[] walkers, int at) {
    walkers[at++] = this;
    if (nested != null) {
      for (ObjectMembers inner : nested) {
        if (inner != null) {
          at = inner.addTree(walkers, at);
        }
      }
    }
    return at;
  }

  /** How many places a walk notes: two per name looked for (see {@link #noted}). */
  int places() {
    return values.length;
  }

  /**
   * Place {@code p} the last walk noted: {@link #start}{@code (p / 2)} for an even {@code p},
   * {@link #end}{@code (p / 2)} for an odd one.
   */
  int noted(int p) {
    return values[p];
  }

  /**
   * Notes what a walk of another object would note, for an object this walker's walk (as part of
   * its {@link #tree}) is known to note alike up to shifted places ({@link EventShapes}): place
   * {@code p} is {@code places[p] + shifts[segments[p]]}, or -1 where {@code places[p]} is -1; the
   * flags {@link #hasOthers} and {@link #hasDuplicates} as given. Walkers nested in this one are
   * not touched: each is given its own notes.
   */
  void take(int[] places, byte[] segments, int[] shifts, boolean withOthers, boolean twice) {
    noted = true;
    int[] into = values;
    for (int p = 0; p < into.length; p++) {
      int place = places[p];
      into[p] = place < 0 ? -1 : place + shifts[segments[p]];
    }
    others = withOthers;
    duplicates = twice;
  }

  /**
   * Notes nothing, as a walk of this walker's {@link #tree} that does not reach it leaves it;
   * walkers nested in this one are not touched.
   */
  void takeNothing() {
    if (noted) {
      java.util.Arrays.fill(values, -1);
      others = false;
      duplicates = false;
      noted = nested != null; // the nested walkers may still hold notes
    }
  }

  /** Where the value of the {@code k}th name starts, or -1 when the object has none. */
  int start(int k) {
    return values[k * 2];
  }

  /** Where the value of the {@code k}th name ends, or -1 when the object has none. */
  int end(int k) {
    return values[k * 2 + 1];
  }

  /** Whether the object has a member of another name than those looked for. */
  boolean hasOthers() {
    return others;
  }

  /** Whether a name looked for came more than once (the last one is the one noted). */
  boolean hasDuplicates() {
    return duplicates;
  }

  /**
   * Where the first element of the array at {@code at} starts, or -1 when it is empty; the array
   * must be one {@link #walk} accepted (as a member's value).
   */
  static int firstElement(byte[] json, int at) {
    int i = StrictJson.skipSpace(json, at + 1, json.length);
    return json[i] == ']' ? -1 : i;
  }

  /** Where the element after the one at {@code at} starts, or -1 after the last one. */
  static int nextElement(byte[] json, int at) {
    int i = StrictJson.skipSpace(json, valueEnd(json, at), json.length);
    return json[i] == ',' ? StrictJson.skipSpace(json, i + 1, json.length) : -1;
  }

  /** Where the value at {@code at}, inside a value {@link #walk} accepted, ends. */
  static int valueEnd(byte[] json, int at) {
    return StrictJson.NOT_NOTING.value(json, at, json.length, 1);
  }

  /** Whether the {@code k}th member's value is a string, and {@code quoted} (with its quotes). */
  boolean is(byte[] json, int k, byte[] quoted) {
    return start(k) >= 0 && StrictJson.is(json, start(k), end(k), quoted);
  }

  /** Whether the {@code k}th member's value is of the kind its first byte says ({@code '"'}...). */
  boolean startsWith(byte[] json, int k, char first) {
    return start(k) >= 0 && json[start(k)] == first;
  }

  /**
   * The JSON value {@code json[start, end)} (one {@link StrictJson} accepted) read as a token
   * count, as the formats read a count from its Jackson tree node ({@link UsageCounts#of}): a
   * number without fraction or exponent that is not negative ({@code -0} is 0), {@link
   * Long#MAX_VALUE} when it is beyond a {@code long}; else -1.
   */
  static long count(byte[] json, int start, int end) {
    byte first = json[start];
    if (first == '-') {
      return end - start == 2 && json[start + 1] == '0' ? 0 : -1; // -0 is 0; others negative
    } else if (first < '0' || first > '9') {
      return -1; // a string, an object, a literal
    }
    long value = 0;
    boolean beyond = false;
    for (int i = start; i < end; i++) {
      int digit = json[i] - '0';
      if (digit < 0 || digit > 9) {
        return -1; // a fraction or an exponent: a floating-point number, not integral
      }
      beyond |= value > (Long.MAX_VALUE - digit) / 10;
      value = value * 10 + digit;
    }
    return beyond ? Long.MAX_VALUE : value; // beyond a long: saturated, as UsageCounts reads it
  }
}
