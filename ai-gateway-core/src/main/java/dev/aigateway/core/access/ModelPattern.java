package dev.aigateway.core.access;

import org.jspecify.annotations.Nullable;

/**
 * A model name pattern, compiled once: {@code *} stands for any run of characters (none included),
 * every other character for itself, ignoring case. {@code gpt-4o*} matches {@code gpt-4o} and
 * {@code gpt-4o-mini}; {@code *} matches every model. Matching allocates nothing.
 */
final class ModelPattern {

  private final String pattern;

  /**
   * The literal parts between the stars; the first is anchored at the start, the last at the end.
   */
  private final String[] parts;

  private final boolean leadingStar;
  private final boolean trailingStar;

  private ModelPattern(String pattern) {
    this.pattern = pattern;
    this.leadingStar = pattern.startsWith("*");
    this.trailingStar = pattern.endsWith("*");
    this.parts =
        // As written: matching ignores case char by char (lower-casing first could change the
        // length of a part, 'İ' becoming two characters, so the pattern missed its own text).
        java.util.Arrays.stream(pattern.split("\\*+"))
            .filter(part -> !part.isEmpty())
            .toArray(String[]::new);
  }

  /** Compiles a pattern; refuses a blank one. */
  static ModelPattern compile(String pattern) {
    if (pattern == null || pattern.isBlank()) {
      throw new IllegalArgumentException(
          "a model pattern must be non-blank but was '" + pattern + "'");
    }
    return new ModelPattern(pattern.trim());
  }

  /** Whether {@code model} matches; a call that names no model matches nothing. */
  boolean matches(@Nullable String model) {
    if (model == null) {
      return false;
    }
    if (parts.length == 0) {
      return leadingStar; // "*" (or "**"): anything
    }
    int at = 0;
    int end = model.length();
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      boolean first = i == 0;
      boolean last = i == parts.length - 1;
      if (last && !trailingStar) {
        // The last part sits at the end, after everything matched so far.
        int start = end - part.length();
        if (start < at || (first && !leadingStar && start != 0)) {
          return false;
        }
        return model.regionMatches(true, start, part, 0, part.length());
      }
      if (first && !leadingStar) {
        if (!model.regionMatches(true, 0, part, 0, part.length())) {
          return false;
        }
        at = part.length();
        continue;
      }
      int found = indexOfIgnoreCase(model, part, at);
      if (found < 0) {
        return false;
      }
      at = found + part.length();
    }
    return true;
  }

  private static int indexOfIgnoreCase(String text, String part, int from) {
    for (int i = from; i <= text.length() - part.length(); i++) {
      if (text.regionMatches(true, i, part, 0, part.length())) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return pattern;
  }
}
