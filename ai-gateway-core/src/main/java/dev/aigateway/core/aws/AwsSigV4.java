package dev.aigateway.core.aws;

import dev.aigateway.api.spi.RequestSigner;
import dev.aigateway.core.wire.SafeUrls;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for request headers, as AWS documents it: a canonical request (method,
 * URI, query, signed headers, SHA-256 of the payload), a string to sign over the credential scope
 * ({@code date/region/service/aws4_request}), a signing key derived from the secret by four
 * HMAC-SHA256 steps, and an {@code Authorization} header naming the signed headers. Written on the
 * JDK ({@link Mac}, {@link MessageDigest}): the algorithm is small and fully specified, and the AWS
 * SDK's signer would bring the SDK's HTTP abstractions into the core; the implementation is checked
 * against AWS's published Signature Version 4 test suite.
 *
 * <pre>{@code
 * RequestSigner signer =
 *     AwsSigV4.signer("us-east-1", "bedrock", AwsCredentialsProvider.environment());
 * Backend.bedrock("east", "https://bedrock-runtime.us-east-1.amazonaws.com").signer(signer);
 * }</pre>
 *
 * <p>The signer signs {@code host}, {@code x-amz-content-sha256}, {@code x-amz-date} and, with
 * temporary credentials, {@code x-amz-security-token}, and returns them (but {@code host}, which
 * the HTTP client writes from the URL) with the {@code Authorization} header. The URL is signed as
 * the HTTP client sends it (characters outside ASCII percent-encoded as UTF-8, {@code .} and {@code
 * ..} path segments resolved), since that is what AWS checks. The path is URI-encoded once more as
 * it goes on the wire (AWS's rule for every service but S3, which this signer is not meant for), so
 * a model ARN sent as {@code arn%3Aaws%3A...} is signed as {@code arn%253Aaws%253A...}. Immutable
 * and thread-safe; secrets never appear in its exceptions or its {@link #toString()}, and a URL it
 * cannot sign (malformed, or without a host) is refused with the reason, never quoted, since its
 * query may carry a signature or a key.
 */
public final class AwsSigV4 implements RequestSigner {

  /** The algorithm name in the string to sign and the {@code Authorization} header. */
  public static final String ALGORITHM = "AWS4-HMAC-SHA256";

  private static final HexFormat HEX = HexFormat.of();

  private final String region;
  private final String service;
  private final AwsCredentialsProvider credentials;
  private final Clock clock;

  private AwsSigV4(String region, String service, AwsCredentialsProvider credentials, Clock clock) {
    this.region = requireName(region, "region");
    this.service = requireName(service, "service");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * A signer for {@code service} (Bedrock's runtime signs as {@code bedrock}) in {@code region},
   * with credentials from {@code credentials} on every attempt and the system clock.
   */
  public static AwsSigV4 signer(String region, String service, AwsCredentialsProvider credentials) {
    return new AwsSigV4(region, service, credentials, Clock.systemUTC());
  }

  /** As {@link #signer(String, String, AwsCredentialsProvider)}, on {@code clock} (for tests). */
  public static AwsSigV4 signer(
      String region, String service, AwsCredentialsProvider credentials, Clock clock) {
    return new AwsSigV4(region, service, credentials, clock);
  }

  /** The region requests are signed for. */
  public String region() {
    return region;
  }

  /** The service requests are signed for. */
  public String service() {
    return service;
  }

  @Override
  public Map<String, String> sign(String method, String url, byte[] body) throws IOException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      // Neither the URL nor the exception (whose message quotes it) is kept: a caller's URL may
      // carry a secret in its query (a presigned URL's signature, a key).
      throw new IOException(
          "cannot sign a request to a malformed URL: "
              + e.getReason()
              + (e.getIndex() < 0 ? "" : " at index " + e.getIndex()));
    }
    if (uri.getHost() == null) {
      throw new IOException(
          "cannot sign a request to a URL without a host: give an absolute URL, such as"
              + " https://bedrock-runtime.us-east-1.amazonaws.com/model/...");
    }
    AwsCredentials keys = credentials.credentials();
    if (keys == null) {
      throw new IOException(credentials + " supplied no AWS credentials");
    }
    String amzDate = amzDate(ZonedDateTime.now(clock.withZone(ZoneOffset.UTC)));
    String payloadHash = HEX.formatHex(sha256(body));
    Map<String, String> signed = new LinkedHashMap<>();
    signed.put("host", hostHeader(uri));
    signed.put("x-amz-content-sha256", payloadHash);
    signed.put("x-amz-date", amzDate);
    if (keys.sessionToken() != null) {
      signed.put("x-amz-security-token", keys.sessionToken());
    }
    String rawPath = wirePath(uri.getRawPath());
    String authorization =
        authorization(
            method,
            rawPath,
            uri.getRawQuery(),
            signed,
            payloadHash,
            keys,
            amzDate,
            region,
            service);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Authorization", authorization);
    headers.put("X-Amz-Date", amzDate);
    headers.put("X-Amz-Content-Sha256", payloadHash);
    if (keys.sessionToken() != null) {
      headers.put("X-Amz-Security-Token", keys.sessionToken());
    }
    return headers;
  }

  /**
   * The {@code Authorization} header value for a request whose headers to sign are {@code headers}
   * (names in any case; {@code host} and {@code x-amz-date} among them).
   *
   * @param path the path to put in the canonical request, URI-encoded once more by this method
   *     (segment by segment, slashes kept): the path as sent on the wire for AWS services but S3
   * @param rawQuery the query as sent on the wire (null: none); its parameters are decoded, encoded
   *     as SigV4 requires and sorted
   * @param payloadHash the lower-case hex SHA-256 of the body
   * @param amzDate the request time as {@code yyyyMMdd'T'HHmmss'Z'}
   */
  static String authorization(
      String method,
      String path,
      String rawQuery,
      Map<String, String> headers,
      String payloadHash,
      AwsCredentials keys,
      String amzDate,
      String region,
      String service) {
    TreeMap<String, String> sorted = new TreeMap<>();
    headers.forEach(
        (name, value) -> sorted.put(name.toLowerCase(java.util.Locale.ROOT), trim(value)));
    String signedHeaders = String.join(";", sorted.keySet());
    StringBuilder canonical = new StringBuilder(256);
    canonical.append(method).append('\n');
    canonical.append(encode(path, false)).append('\n');
    canonical.append(canonicalQuery(rawQuery)).append('\n');
    sorted.forEach((name, value) -> canonical.append(name).append(':').append(value).append('\n'));
    canonical.append('\n').append(signedHeaders).append('\n').append(payloadHash);
    String date = amzDate.substring(0, 8);
    String scope = date + "/" + region + "/" + service + "/aws4_request";
    String stringToSign =
        ALGORITHM
            + "\n"
            + amzDate
            + "\n"
            + scope
            + "\n"
            + HEX.formatHex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
    byte[] key = hmac(("AWS4" + keys.secretAccessKey()).getBytes(StandardCharsets.UTF_8), date);
    key = hmac(key, region);
    key = hmac(key, service);
    key = hmac(key, "aws4_request");
    String signature = HEX.formatHex(hmac(key, stringToSign));
    return ALGORITHM
        + " Credential="
        + keys.accessKeyId()
        + "/"
        + scope
        + ", SignedHeaders="
        + signedHeaders
        + ", Signature="
        + signature;
  }

  /** {@code yyyyMMdd'T'HHmmss'Z'} in UTC. */
  static String amzDate(ZonedDateTime utc) {
    return String.format(
        java.util.Locale.ROOT,
        "%04d%02d%02dT%02d%02d%02dZ",
        utc.getYear(),
        utc.getMonthValue(),
        utc.getDayOfMonth(),
        utc.getHour(),
        utc.getMinute(),
        utc.getSecond());
  }

  /**
   * The {@code Host} header an HTTP client writes for {@code uri}: the host in lower case (as
   * OkHttp writes it, whatever case the URL has), the port only when not default.
   */
  static String hostHeader(URI uri) {
    String host = uri.getHost().toLowerCase(java.util.Locale.ROOT);
    int port = uri.getPort();
    boolean defaultPort =
        port < 0
            || ("https".equalsIgnoreCase(uri.getScheme()) && port == 443)
            || ("http".equalsIgnoreCase(uri.getScheme()) && port == 80);
    return defaultPort ? host : host + ":" + port;
  }

  /**
   * The path the HTTP client sends for a URL whose path is written {@code rawPath}, which is what
   * AWS checks the signature against: every character outside ASCII percent-encoded as UTF-8, and
   * the {@code .} and {@code ..} segments resolved, as OkHttp writes a URL; escapes already in it
   * are kept as they are. Empty or null: {@code /}.
   */
  static String wirePath(String rawPath) {
    if (rawPath == null || rawPath.isEmpty()) {
      return "/";
    }
    String[] segments = rawPath.substring(rawPath.charAt(0) == '/' ? 1 : 0).split("/", -1);
    List<String> resolved = new ArrayList<>(segments.length);
    for (int i = 0; i < segments.length; i++) {
      String segment = segments[i];
      boolean last = i == segments.length - 1;
      boolean dotDot = isDotDot(segment);
      if (dotDot || isDot(segment)) {
        if (dotDot && !resolved.isEmpty()) {
          resolved.remove(resolved.size() - 1);
        }
        if (last) {
          resolved.add(""); // the path ends with a slash
        }
        continue;
      }
      resolved.add(SafeUrls.percentEncodeNonAscii(segment));
    }
    return "/" + String.join("/", resolved);
  }

  private static boolean isDot(String segment) {
    return segment.equals(".") || segment.equalsIgnoreCase("%2e");
  }

  private static boolean isDotDot(String segment) {
    return segment.equals("..")
        || segment.equalsIgnoreCase("%2e.")
        || segment.equalsIgnoreCase(".%2e")
        || segment.equalsIgnoreCase("%2e%2e");
  }

  /** The query's parameters, each name and value decoded, re-encoded and sorted by name, value. */
  static String canonicalQuery(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    List<String[]> parameters = new ArrayList<>();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      parameters.add(new String[] {encode(decode(name), true), encode(decode(value), true)});
    }
    parameters.sort(
        (a, b) -> {
          int byName = a[0].compareTo(b[0]);
          return byName != 0 ? byName : a[1].compareTo(b[1]);
        });
    StringBuilder query = new StringBuilder();
    for (String[] p : parameters) {
      if (query.length() > 0) {
        query.append('&');
      }
      query.append(p[0]).append('=').append(p[1]);
    }
    return query.toString();
  }

  /**
   * URI-encodes as SigV4 requires: every byte of the UTF-8 form but the unreserved characters
   * ({@code A-Z a-z 0-9 - _ . ~}) as {@code %XY} in upper case; {@code /} too when {@code slashes}.
   */
  static String encode(String value, boolean slashes) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length + 16);
    for (byte b : bytes) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~'
          || (c == '/' && !slashes)) {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)));
        out.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** Decodes {@code %XY} escapes (a {@code +} stays a plus, as AWS reads queries). */
  private static String decode(String value) {
    if (value.indexOf('%') < 0) {
      return value;
    }
    byte[] out = new byte[value.length()];
    int n = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      int hi;
      int lo;
      if (c == '%'
          && i + 2 < value.length()
          && (hi = Character.digit(value.charAt(i + 1), 16)) >= 0
          && (lo = Character.digit(value.charAt(i + 2), 16)) >= 0) {
        out[n++] = (byte) ((hi << 4) | lo);
        i += 2;
      } else {
        // A character outside the BMP is two chars: encoded together, as the client sends it.
        int point = value.codePointAt(i);
        i += Character.charCount(point) - 1;
        byte[] plain = new String(Character.toChars(point)).getBytes(StandardCharsets.UTF_8);
        if (n + plain.length > out.length) {
          out = java.util.Arrays.copyOf(out, out.length * 2 + plain.length);
        }
        System.arraycopy(plain, 0, out, n, plain.length);
        n += plain.length;
      }
    }
    return new String(out, 0, n, StandardCharsets.UTF_8);
  }

  /** Header values as SigV4 canonicalises them: trimmed, inner runs of spaces made one. */
  private static String trim(String value) {
    return value.trim().replaceAll(" +", " ");
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("every Java platform has HmacSHA256", e);
    }
  }

  private static String requireName(String value, String what) {
    if (value == null || value.isBlank() || !value.matches("[A-Za-z0-9-]+")) {
      throw new IllegalArgumentException(
          "the AWS "
              + what
              + " to sign for must be a name like us-east-1 or bedrock but was '"
              + value
              + "'");
    }
    return value;
  }

  @Override
  public String toString() {
    return "AwsSigV4{" + service + " in " + region + ", credentials " + credentials + "}";
  }
}
