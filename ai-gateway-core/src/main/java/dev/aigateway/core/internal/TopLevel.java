package dev.aigateway.core.internal;

import static java.nio.charset.StandardCharsets.UTF_8;


/**
 * The members of a top-level JSON object that the gateway reads ({@code usage}, {@code model},
 * {@code choices}), found on the object's bytes without a parser. {@link #walk} accepts an object
 * only when {@link StrictJson} accepts it whole, its top-level names are written without escapes
 * (an escaped one could spell a name read here) and its last model, if text, is written without
 * escapes; for any other, the caller leaves the bytes to Jackson.
 */
final class TopLevel {

  private static final byte[] USAGE = {'"', 'u', 's', 'a', 'g', 'e', '"'};
  private static final byte[] MODEL = {'"', 'm', 'o', 'd', 'e', 'l', '"'};
  private static final byte[] CHOICES = {'"', 'c', 'h', 'o', 'i', 'c', 'e', 's', '"'};

  private final StrictJson strict;
  /** Usage members; where the first and the last one's value start; whether all are null. */
  private int usages;
  private int firstUsage;
  private int lastUsage;
  private boolean usagesNull;
  /** Choices members, and whether all are empty arrays. */
  private int choices;
  private boolean choicesEmpty;
  /** Where the last model's value starts, or -1; and its text when it is text. */
  private int modelValue;
  private String model;

  TopLevel(StrictJson strict) {
    this.strict = strict;
  }

  /**
   * Walks the object {@code json[from, to)}; returns false when it is not one accepted here (see
   * above), and what was noted is then meaningless.
   */
  boolean walk(byte[] json, int from, int to) {
    usages = 0;
    usagesNull = true;
    choices = 0;
    choicesEmpty = true;
    modelValue = -1;
    int i = StrictJson.skipSpace(json, from, to);
    if (i >= to || json[i] != '{') {
      return false;
    }
    i = StrictJson.skipSpace(json, i + 1, to);
    if (i < to && json[i] == '}') {
      i++;
    } else {
      while (true) {
        if (i >= to || json[i] != '"') {
          return false;
        }
        int name = i;
        int nameEnd = StrictJson.string(json, i, to, false);
        if (nameEnd < 0) {
          return false;
        }
        i = StrictJson.skipSpace(json, nameEnd, to);
        if (i >= to || json[i] != ':') {
          return false;
        }
        int value = StrictJson.skipSpace(json, i + 1, to);
        i = strict.value(json, value, to, 1);
        if (i < 0) {
          return false;
        }
        note(json, name, nameEnd, value, i);
        i = StrictJson.skipSpace(json, i, to);
        if (i < to && json[i] == '}') {
          i++;
          break;
        } else if (i >= to || json[i] != ',') {
          return false;
        }
        i = StrictJson.skipSpace(json, i + 1, to);
      }
    }
    if (StrictJson.skipSpace(json, i, to) != to) {
      return false;
    }
    model = null;
    if (modelValue >= 0 && json[modelValue] == '"') {
      int end = StrictJson.string(json, modelValue, to, false);
      if (end < 0) {
        return false; // written with escapes
      }
      model = new String(json, modelValue + 1, end - modelValue - 2, UTF_8);
    }
    return true;
  }

  /** Notes the member {@code json[name, nameEnd)}, whose value is {@code json[value, end)}. */
  private void note(byte[] json, int name, int nameEnd, int value, int end) {
    if (StrictJson.is(json, name, nameEnd, USAGE)) {
      if (usages++ == 0) {
        firstUsage = value;
      }
      lastUsage = value;
      usagesNull &= json[value] == 'n';
    } else if (StrictJson.is(json, name, nameEnd, MODEL)) {
      modelValue = value;
    } else if (StrictJson.is(json, name, nameEnd, CHOICES)) {
      choices++;
      choicesEmpty &= json[value] == '[' && StrictJson.skipSpace(json, value + 1, end) == end - 1;
    }
  }

  /** How many top-level usage members there are. */
  int usages() {
    return usages;
  }

  /** Where the first usage value starts. */
  int firstUsage() {
    return firstUsage;
  }

  /** Where the last usage value starts. */
  int lastUsage() {
    return lastUsage;
  }

  /** Whether every usage value is null (true when there is none). */
  boolean usagesNull() {
    return usagesNull;
  }

  /** Whether there is a {@code choices} member and every one is an empty array. */
  boolean choicesEmpty() {
    return choices > 0 && choicesEmpty;
  }

  /** Where the last model member's value starts, or -1 when there is none. */
  int modelValue() {
    return modelValue;
  }

  /** The last model member's text; null when there is none or it is not text. */
  String model() {
    return model;
  }
}
