package dev.aigateway.api;

import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The roles of a call's caller, which select the access rules given per role. Any lambda works; the
 * factories cover a header and a tag:
 *
 * <pre>{@code
 * RoleResolver.header("x-roles")                       // "analyst, batch": removed before sending
 * RoleResolver.tag(Principal.class, Principal::roles)  // a tag the app put on the OkHttp request
 * request -> Set.of("internal")                        // anything else
 * }</pre>
 *
 * <p>Implementations must be thread-safe and fast; an empty set means no roles. A resolver that
 * throws refuses the call (401 {@code invalid_token}; logged by exception type only, never thrown
 * to the application): without its roles the gateway cannot tell which rules apply, and under an
 * allow-by-default policy no roles could mean more access, not less.
 */
@FunctionalInterface
public interface RoleResolver {

  /** The caller's roles; never null, empty when it has none. */
  Set<String> roles(LlmRequest request);

  /** Request headers that address only the gateway, removed before the call is sent. */
  default Set<String> gatewayHeaders() {
    return Set.of();
  }

  /**
   * Roles from a request header, separated by commas or whitespace; the roles on all its lines
   * count. The header addresses only the gateway, so it is removed before the call leaves the
   * process (unless the gateway forwards gateway headers). Trust it only where the application, not
   * its end users, sets it.
   *
   * <p>The name is read as {@link KeyResolvers#header(String)} reads it: trimmed and in any case. A
   * header the call needs for itself ({@code Authorization}, {@code Proxy-Authorization}, {@code
   * api-key}, {@code x-api-key}, {@code x-goog-api-key}, {@code Cookie}) is refused, as removing it
   * would break the call; use {@link #tag} or a lambda to take roles from a credential.
   *
   * @throws IllegalArgumentException when {@code name} is blank, a credential header or {@code
   *     Cookie}
   */
  static RoleResolver header(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("header name must be non-blank but was '" + name + "'");
    }
    String trimmed = name.trim();
    String lowerCase = trimmed.toLowerCase(Locale.ROOT);
    if (KeyResolvers.CREDENTIAL_HEADERS.contains(lowerCase) || lowerCase.equals("cookie")) {
      throw new IllegalArgumentException(
          "roles header '"
              + trimmed
              + "' would be removed from the call, which needs it; read roles from a request tag"
              + " (RoleResolver.tag) or a header of their own");
    }
    Set<String> headers = Set.of(lowerCase);
    return new RoleResolver() {
      @Override
      public Set<String> roles(LlmRequest request) {
        // Lines of the header add up, as one comma-separated line would.
        java.util.List<String> values = request.headers(trimmed);
        return switch (values.size()) {
          case 0 -> Set.of();
          case 1 -> split(values.get(0));
          default -> split(String.join(",", values));
        };
      }

      @Override
      public Set<String> gatewayHeaders() {
        return headers;
      }

      @Override
      public String toString() {
        return "RoleResolver.header(" + trimmed + ")";
      }
    };
  }

  /**
   * The roles in {@code value}, separated by commas or whitespace, duplicates dropped; without
   * regular expressions or an intermediate collection.
   */
  private static Set<String> split(String value) {
    String[] roles = null;
    int count = 0;
    int length = value.length();
    int i = 0;
    while (i < length) {
      while (i < length && separates(value.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < length && !separates(value.charAt(i))) {
        i++;
      }
      if (i > start) {
        String role = value.substring(start, i);
        if (roles == null) {
          roles = new String[4];
        } else if (count == roles.length) {
          roles = java.util.Arrays.copyOf(roles, count * 2);
        }
        if (!contains(roles, count, role)) {
          roles[count++] = role;
        }
      }
    }
    return switch (count) {
      case 0 -> Set.of();
      case 1 -> Set.of(roles[0]);
      case 2 -> Set.of(roles[0], roles[1]);
      default -> Set.of(java.util.Arrays.copyOf(roles, count));
    };
  }

  private static boolean contains(String[] roles, int count, String role) {
    for (int i = 0; i < count; i++) {
      if (roles[i].equals(role)) {
        return true;
      }
    }
    return false;
  }

  private static boolean separates(char c) {
    return c == ',' || Character.isWhitespace(c);
  }

  /**
   * Roles from a tag the application attached to the request; none when the request has no such tag
   * or {@code roles} returns null.
   */
  static <T> RoleResolver tag(
      Class<T> type, Function<? super T, ? extends @Nullable Collection<String>> roles) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(roles, "roles");
    return request -> {
      T tag = request.tag(type);
      Collection<String> found = tag == null ? null : roles.apply(tag);
      return found == null ? Set.of() : Set.copyOf(found);
    };
  }

  /** This resolver as a {@link CallerResolver} that leaves the consumer to the consumer key. */
  default CallerResolver asCallerResolver() {
    RoleResolver self = this;
    return new CallerResolver() {
      @Override
      public Caller resolve(LlmRequest request) {
        Set<String> roles = self.roles(request);
        return roles == null || roles.isEmpty() ? Caller.UNKNOWN : Caller.of(null, roles);
      }

      @Override
      public Set<String> gatewayHeaders() {
        return self.gatewayHeaders();
      }

      @Override
      public String toString() {
        return self.toString();
      }
    };
  }
}
