package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.AiGateway;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

/**
 * The interceptor's encoded path of a request's URL, which reuses the last path it saw, is always
 * what OkHttp's {@link HttpUrl#encodedPath()} says, whatever URLs follow each other.
 */
class EncodedPathTest {

  private static final List<String> PATHS =
      List.of(
          "/v1/chat/completions",
          "/v1/chat/completions/",
          "/v1/chat/completions2",
          "/v1/chat",
          "/v1/chat/completion",
          "/",
          "/openai/deployments/gpt-4o/chat/completions",
          "/a%2Fb/v1/chat/completions",
          "/v1/chat/completions;x",
          "/v1beta/models/gemini-2.0-flash:generateContent");

  private static final List<String> HOSTS =
      List.of(
          "http://127.0.0.1:8080",
          "https://api.openai.com",
          "https://user:pass@example.com:8443",
          "http://[::1]:9000",
          "https://xn--bcher-kva.example");

  private static final List<String> TAILS =
      List.of("", "?api-version=2024-10-21", "#frag", "?a=/b#c/d", "?", "#", "?x=%3F");

  private static GatewayInterceptor interceptor() {
    return new GatewayInterceptor(AiGateway.builder().listener(event -> {}).build());
  }

  private static HttpUrl randomUrl(Random random) {
    return HttpUrl.get(
        HOSTS.get(random.nextInt(HOSTS.size()))
            + PATHS.get(random.nextInt(PATHS.size()))
            + TAILS.get(random.nextInt(TAILS.size())));
  }

  @Test
  void urlsInAnyOrderHaveOkHttpsEncodedPath() {
    GatewayInterceptor interceptor = interceptor();
    Random random = new Random(10);
    for (int i = 0; i < 20_000; i++) {
      HttpUrl url = randomUrl(random);
      // The same URL twice in a row at times: the second is the remembered path.
      int times = random.nextInt(3) + 1;
      for (int t = 0; t < times; t++) {
        assertThat(interceptor.encodedPath(url)).as(url.toString()).isEqualTo(url.encodedPath());
      }
    }
  }

  @Test
  void aPathThatExtendsOrShortensTheRememberedOneIsItsOwn() {
    GatewayInterceptor interceptor = interceptor();
    String[] inTurn = {
      "http://h/v1/chat/completions",
      "http://h/v1/chat/completions?x=1",
      "http://h/v1/chat/completions/",
      "http://h/v1/chat/completions",
      "http://h/v1/chat/completions2",
      "http://h/v1/chat",
      "http://h/v1/chat#completions",
      "http://h:81/v1/chat",
      "http://h/v1/chat/completions",
    };
    for (String text : inTurn) {
      HttpUrl url = HttpUrl.get(text);
      assertThat(interceptor.encodedPath(url)).as(text).isEqualTo(url.encodedPath());
    }
    HttpUrl url = HttpUrl.get("https://other.example/v1/chat/completions?q=1");
    assertThat(interceptor.encodedPath(url))
        .as("a path equal to the remembered one is that string")
        .isSameAs(interceptor.encodedPath(HttpUrl.get("http://h/v1/chat/completions")));
  }

  @Test
  void threadsAskingForDifferentPathsEachGetTheirOwn() throws Exception {
    GatewayInterceptor interceptor = interceptor();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        done.add(
            pool.submit(
                () -> {
                  Random random = new Random(seed);
                  int wrong = 0;
                  for (int i = 0; i < 20_000; i++) {
                    HttpUrl url = randomUrl(random);
                    if (!interceptor.encodedPath(url).equals(url.encodedPath())) {
                      wrong++;
                    }
                  }
                  return wrong;
                }));
      }
      for (Future<Integer> wrong : done) {
        assertThat(wrong.get()).isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
