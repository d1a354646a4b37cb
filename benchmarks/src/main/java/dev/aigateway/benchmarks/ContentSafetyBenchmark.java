package dev.aigateway.benchmarks;

import dev.aigateway.core.AiGateway;
import dev.aigateway.core.safety.ContentSafety;
import dev.aigateway.core.safety.PiiDetector;
import dev.aigateway.core.safety.SafetyAction;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * What content safety's built-in checks cost.
 *
 * <ul>
 *   <li>{@code governedShort} against {@code governedShortWithSafety}: the benchmarks' short chat
 *       through OkHttp and the gateway (token limits, prompt estimated) to an in-process backend,
 *       without and with the built-in checks (message and token caps, a deny list of 20 words, the
 *       five personal-data detectors flagging); the difference is what the checks add per call.
 *   <li>{@code piiScan1kTokens}: the five built-in detectors over the text of a ~1,000-token prompt
 *       (about 5,000 characters of English with an e-mail, a phone and a card number in), in the
 *       one pass they share when content safety scans a prompt.
 * </ul>
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main
 * ContentSafetyBenchmark}. Results in docs/benchmarks.md.
 */
public class ContentSafetyBenchmark extends MicroBenchmark {

  private static final String URL = "http://127.0.0.1:9" + Workload.CHAT_PATH; // never dialled
  private static final List<PiiDetector> DETECTORS = PiiDetector.defaults();

  private OkHttpClient governed;
  private OkHttpClient withSafety;
  private Request shortChat;
  private String longPrompt;

  @Setup
  public void setUp() throws IOException {
    OkHttpClient base = new OkHttpClient();
    CannedBackend backend = new CannedBackend();
    AiGateway plain = Workload.builder(true).build();
    AiGateway safe =
        Workload.builder(true)
            .contentSafety(
                ContentSafety.builder()
                    .maxMessages(64)
                    .maxPromptTokens(100_000)
                    .denyWords(
                        "denied",
                        SafetyAction.BLOCK,
                        List.of(
                            "falcon",
                            "kestrel",
                            "osprey",
                            "merlin",
                            "harrier",
                            "condor",
                            "eagle",
                            "buzzard",
                            "kite",
                            "hobby",
                            "lanner",
                            "saker",
                            "gyrfalcon",
                            "peregrine",
                            "goshawk",
                            "sparrowhawk",
                            "vulture",
                            "caracara",
                            "secretary bird",
                            "top secret"))
                    .pii(SafetyAction.FLAG))
            .build();
    governed = OkHttpAiGateway.wrap(base, plain).newBuilder().addInterceptor(backend).build();
    withSafety = OkHttpAiGateway.wrap(base, safe).newBuilder().addInterceptor(backend).build();
    shortChat = Workload.post(URL, Workload.shortChat(false), "team-a");
    String prompt = Workload.promptOfTokens(1_000);
    int middle = prompt.length() / 2;
    longPrompt =
        prompt.substring(0, middle)
            + " Reach me at jane.doe@example.com or +44 20 7946 0958; card 4111 1111 1111 1111. "
            + prompt.substring(middle);
    if (piiScan1kTokens() != 3) {
      throw new IllegalStateException("the prompt should hold 3 pieces of personal data");
    }
  }

  /** The short chat through the gateway, no content safety. */
  @Benchmark
  public long governedShort() throws IOException {
    return Workload.call(governed, shortChat);
  }

  /** The same call with the built-in checks on. */
  @Benchmark
  public long governedShortWithSafety() throws IOException {
    return Workload.call(withSafety, shortChat);
  }

  /**
   * The five built-in detectors over a ~1k-token prompt, in the one shared pass content safety
   * scans a prompt with; returns what they found (3).
   */
  @Benchmark
  public int piiScan1kTokens() {
    return PiiDetector.countIn(longPrompt, DETECTORS);
  }
}
