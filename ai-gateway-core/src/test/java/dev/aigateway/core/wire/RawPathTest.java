package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.adapter.PostedRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link RawPath} gives what {@link URI#getRawPath()} gives, for every string. */
@Tag("compute-bound")
class RawPathTest {

  /** What {@link URI} reads as the raw path: empty when there is none or the string is no URI. */
  private static String byUri(String url) {
    try {
      String path = new URI(url).getRawPath();
      return path == null ? "" : path;
    } catch (URISyntaxException e) {
      return "";
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3%3A0/invoke",
        "https://host/v1/models/m:streamGenerateContent?alt=sse&key=abc",
        "http://localhost:8080/v1/chat/completions#part",
        "http://host",
        "http://host?q=1",
        "http://host#f",
        "http://host/a%2",
        "http://host/a%zz/b",
        "http://host/a b",
        "http://host/a#b#c",
        "http://host/a?b#c?d/e",
        "http://[::1]:9000/v1/responses",
        "http://user@host/p",
        "http://:80/x",
        "http:///x",
        "http:/x",
        "mailto:someone@example.com",
        "/v1/chat/completions",
        "",
        "1http://host/p",
        "http://hést/p",
        "http://host/pé",
        "http://host/p?q=[1]",
        "http://1.2.3.4.5/p",
        "http://h:port/p",
      })
  void readsThePathUriReads(String url) {
    assertThat(RawPath.of(url)).isEqualTo(byUri(url));
  }

  @Test
  void aNullUrlHasAnEmptyPath() {
    assertThat(RawPath.of(null)).isEmpty();
  }

  /** Random URLs over an alphabet of the characters that matter to a URL's parse. */
  @Test
  void readsThePathUriReadsOnRandomUrls() {
    String[] starts = {"http://", "https://", "HTTP://", "a+b.c-d://", "http:/", "http:", "", "/"};
    String[] pieces = {
      "a", "Z", "0", "9", "-", ".", "_", "~", ":", "@", "/", "?", "#", "%", "%2F", "%4", "%g0", "[",
      "]", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", " ", "\"", "<", "\\", "^", "`",
      "{", "|", "}", "é", "\u0001", "host", "models", "v1", ":8080", "::1"
    };
    SplittableRandom random = new SplittableRandom(15);
    Set<String> checked = new HashSet<>();
    Map<String, String> differing = new LinkedHashMap<>();
    for (int i = 0; i < 200_000; i++) {
      StringBuilder url = new StringBuilder(starts[random.nextInt(starts.length)]);
      int count = random.nextInt(12);
      for (int j = 0; j < count; j++) {
        url.append(pieces[random.nextInt(pieces.length)]);
      }
      String text = url.toString();
      // A short URL comes up many times; both sides read a string the same way every time.
      if (checked.add(text)) {
        String path = RawPath.of(text);
        if (!path.equals(byUri(text))) {
          differing.put(text, path);
        }
      }
    }

    assertThat(differing).as("URLs whose path differs from URI's, with the path read").isEmpty();
  }

  @Test
  void theDefaultEncodedPathIsTheRawPath() {
    String url = "https://host/v1beta/models/a%20b:streamGenerateContent?alt=sse";

    assertThat(PostedRequest.of(url, "").encodedPath())
        .isEqualTo("/v1beta/models/a%20b:streamGenerateContent");
  }
}
