package dev.aigateway.core.internal;

/**
 * Removes a top-level {@code "usage":null} member from a JSON object's text, leaving every other
 * byte as it was, so a chunk reads exactly as it would have without
 * {@code stream_options.include_usage}.
 */
final class UsageMember {

  private static final String KEY = "\"usage\"";

  private UsageMember() {}

  /** The object without its top-level {@code "usage": null}; the input itself when it has none. */
  static String removeTopLevelNull(String json) {
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
        continue;
      }
      if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
      } else if (c == '"') {
        if (depth == 1 && json.startsWith(KEY, i)) {
          int end = nullValueEnd(json, i + KEY.length());
          if (end > 0) {
            return cut(json, i, end);
          }
        }
        inString = true;
      }
    }
    return json;
  }

  /** The index after {@code : null} following a key, or -1 when the value is not null. */
  private static int nullValueEnd(String json, int afterKey) {
    int i = skipSpace(json, afterKey);
    if (i >= json.length() || json.charAt(i) != ':') {
      return -1;
    }
    i = skipSpace(json, i + 1);
    return json.startsWith("null", i) ? i + 4 : -1;
  }

  private static String cut(String json, int keyStart, int valueEnd) {
    int before = keyStart - 1;
    while (before >= 0 && Character.isWhitespace(json.charAt(before))) {
      before--;
    }
    if (before >= 0 && json.charAt(before) == ',') {
      return json.substring(0, before) + json.substring(valueEnd);
    }
    int after = skipSpace(json, valueEnd);
    if (after < json.length() && json.charAt(after) == ',') {
      return json.substring(0, keyStart) + json.substring(skipSpace(json, after + 1));
    }
    return json.substring(0, keyStart) + json.substring(valueEnd);
  }

  private static int skipSpace(String json, int from) {
    int i = from;
    while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
      i++;
    }
    return i;
  }
}
