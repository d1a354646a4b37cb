package dev.aigateway.core.wire;

/**
 * What an HTTP header value may hold, checked before a client is given one: OkHttp refuses anything
 * but a tab and printable ASCII, and its error quotes the value (it hides only some headers'
 * values), so a credential with a stray line break would otherwise end up in an exception message.
 */
public final class HeaderValues {

  private HeaderValues() {}

  /**
   * The index of the first character of {@code value} a header value may not hold (anything but a
   * tab and printable ASCII), or -1 when it holds none.
   */
  public static int notAllowedAt(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c != '\t' && (c < ' ' || c > '~')) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Checks {@code value}, to be sent in header {@code name}.
   *
   * @throws IllegalArgumentException when it holds a character a header value may not hold; the
   *     message names {@code what} and the header and gives the character's index, never the value
   */
  public static void require(String what, String name, String value) {
    int bad = notAllowedAt(value);
    if (bad >= 0) {
      throw new IllegalArgumentException(
          what
              + " of header '"
              + name
              + "' holds a character not allowed in a header value, at index "
              + bad);
    }
  }
}
