package dev.aigateway.mcp;

import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * The headers a builder of this module adds to every request: fixed ones, and ones a supplier gives
 * per request (a short-lived token), which replace fixed ones of the same name. A builder fills
 * one; what it builds keeps a {@link #copy} that never changes, so it can be read from any thread.
 * Values never appear in exceptions.
 */
final class ExtraHeaders {

  private final Map<String, String> fixed;
  private @Nullable Supplier<Map<String, String>> supplier;

  ExtraHeaders() {
    this.fixed = new LinkedHashMap<>();
  }

  private ExtraHeaders(ExtraHeaders from) {
    this.fixed = Map.copyOf(from.fixed);
    this.supplier = from.supplier;
  }

  /**
   * Sends {@code value} as {@code name}; replaces an earlier value of the same name in any case, as
   * header names are compared in HTTP.
   */
  void put(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (name.isBlank()) {
      throw new IllegalArgumentException("header name is blank");
    }
    fixed.keySet().removeIf(name::equalsIgnoreCase);
    fixed.put(name, value);
  }

  /** Asks {@code supplier} for headers before every request. */
  void supplier(Supplier<Map<String, String>> supplier) {
    this.supplier = Objects.requireNonNull(supplier, "supplier");
  }

  /** An unchangeable copy of these headers, for what a builder builds. */
  ExtraHeaders copy() {
    return new ExtraHeaders(this);
  }

  /** Whether there is nothing to add. */
  boolean isEmpty() {
    return fixed.isEmpty() && supplier == null;
  }

  /**
   * Sets the headers on {@code request}, the supplied ones last, for {@code url}'s origin only: the
   * request is tagged with them ({@link OkHttpAiGateway#keepAtOrigin}), and the redirect guard on
   * the client takes them off a redirect to another origin.
   *
   * @param url where the request goes
   * @param owner what the supplier belongs to, for the message of its failure
   * @throws IOException when the supplier throws (its exception as the cause), or a header's name
   *     or value cannot be sent (naming the header, never quoting the value), so that the request
   *     fails as an I/O failure would
   */
  void addTo(Request.Builder request, HttpUrl url, String owner) throws IOException {
    Set<String> names = new HashSet<>();
    for (Map.Entry<String, String> header : fixed.entrySet()) {
      set(request, header.getKey(), header.getValue(), owner);
      names.add(header.getKey());
    }
    if (supplier != null) {
      Map<String, String> supplied;
      try {
        supplied = supplier.get();
      } catch (RuntimeException e) {
        throw new IOException(
            "the header supplier of " + owner + " failed: " + e.getClass().getName(), e);
      }
      if (supplied != null) {
        for (Map.Entry<String, String> header : supplied.entrySet()) {
          set(request, header.getKey(), header.getValue(), owner);
          names.add(header.getKey());
        }
      }
    }
    if (!names.isEmpty()) {
      OkHttpAiGateway.keepAtOrigin(request, url, names);
    }
  }

  private static void set(
      Request.Builder request, @Nullable String name, @Nullable String value, String owner)
      throws IOException {
    if (name == null || value == null) {
      // A supplier's map may hold a null (a token it could not get): an I/O failure, as for a
      // value a header cannot carry, not a NullPointerException out of the call.
      throw new IOException(
          (name == null
                  ? "a header of " + owner + " has no name"
                  : "the header '" + name + "' of " + owner + " has no value")
              + " (the header supplier gave null)");
    }
    try {
      request.header(name, value);
    } catch (IllegalArgumentException e) {
      // OkHttp's message quotes the value of most headers (an API key): neither it nor the
      // exception is passed on.
      throw new IOException(
          "the header '"
              + name
              + "' of "
              + owner
              + " has a name or value a header cannot carry (a line break or a character"
              + " outside printable ASCII)");
    }
  }
}
