package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** The canned answers, and the ids and times that make each answer its own. */
class CannedBackendTest {

  private static final String CANNED_ID = "chatcmpl-Bench0000000000000000000001";
  private static final String CANNED_CREATED = "\"created\":1767225600,";

  @Test
  void aStampFindsOneIdAndOneTimePerBodyOrChunk() {
    assertThat(CannedBackend.COMPLETION_STAMP.places()).isEqualTo(1);
    assertThat(CannedBackend.EVENTS_STAMP.places()).isEqualTo(CannedBackend.STREAM_CHUNKS);
    assertThat(CannedBackend.EVENTS_WITH_USAGE_STAMP.places())
        .isEqualTo(CannedBackend.STREAM_CHUNKS + 1);
    assertThatThrownBy(() -> CannedBackend.Stamp.of("{}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("found 0 ids and 0 times");
  }

  @Test
  void aStampedStreamDiffersFromTheCannedOneOnlyInItsIdsAndTimes() {
    byte[] canned = CannedBackend.EVENTS_WITH_USAGE;
    byte[] stamped = CannedBackend.EVENTS_WITH_USAGE_STAMP.onto(canned.clone(), 7, 1_800_000_123L);
    String text = new String(stamped, StandardCharsets.UTF_8);

    assertThat(stamped).hasSameSizeAs(canned);
    assertThat(text).doesNotContain(CANNED_ID).doesNotContain(CANNED_CREATED);
    String id = idOf(text);
    assertThat(id).startsWith("chatcmpl-").hasSize(CANNED_ID.length()).matches("[0-9A-Za-z-]+");
    // with the canned id and time put back, the bytes are the canned ones
    String restored =
        text.replace(id, CANNED_ID).replace("\"created\":1800000123,", CANNED_CREATED);
    assertThat(restored).isEqualTo(new String(canned, StandardCharsets.UTF_8));
    assertThat(text.split(id, -1)).hasSize(CannedBackend.STREAM_CHUNKS + 2);
  }

  @Test
  void answersGetDistinctIdsThatDifferFromTheirFirstLetterAndTheSameIdAgainForTheSameAnswer() {
    Set<String> ids = new HashSet<>();
    Set<Character> firstLetters = new HashSet<>();
    byte[] reused = CannedBackend.COMPLETION.clone();
    for (long n = 1; n <= 10_000; n++) {
      String id = idOf(stampedCompletion(reused, n));
      ids.add(id);
      firstLetters.add(id.charAt("chatcmpl-".length()));
      if (n == 17) {
        assertThat(idOf(stampedCompletion(CannedBackend.COMPLETION.clone(), 17))).isEqualTo(id);
      }
    }
    assertThat(ids).hasSize(10_000);
    assertThat(firstLetters).hasSize(62);
  }

  @Test
  void theCreationTimeMustHaveTenDigits() {
    byte[] answer = CannedBackend.COMPLETION.clone();
    assertThatThrownBy(() -> CannedBackend.COMPLETION_STAMP.onto(answer, 1, 999_999_999L))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CannedBackend.COMPLETION_STAMP.onto(answer, 1, 10_000_000_000L))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aVaryingBackendGivesEachAnswerItsOwnIdAndAFixedOneTheCannedBytes() throws Exception {
    OkHttpClient base = new OkHttpClient();
    OkHttpClient varying = Workload.withBackend(base, new CannedBackend(true, true));
    OkHttpClient fixed = Workload.withBackend(base, new CannedBackend(true));
    Request chat = Workload.post("http://localhost/v1/chat/completions", chat(false), "c");
    Request stream = Workload.post("http://localhost/v1/chat/completions", chat(true), "c");

    String first = read(varying, chat);
    String second = read(varying, chat);
    String streamed = read(varying, stream);
    assertThat(first).hasSize(CannedBackend.COMPLETION.length);
    assertThat(idOf(first)).isNotEqualTo(idOf(second));
    assertThat(streamed).hasSize(CannedBackend.EVENTS.length).doesNotContain(CANNED_ID);
    assertThat(read(fixed, chat))
        .isEqualTo(new String(CannedBackend.COMPLETION, StandardCharsets.UTF_8));
    assertThat(read(fixed, stream))
        .isEqualTo(new String(CannedBackend.EVENTS, StandardCharsets.UTF_8));
  }

  private static byte[] chat(boolean stream) {
    return Workload.shortChat(stream);
  }

  private static String stampedCompletion(byte[] answer, long n) {
    return new String(
        CannedBackend.COMPLETION_STAMP.onto(answer, n, 1_767_225_601L), StandardCharsets.UTF_8);
  }

  private static String idOf(String json) {
    int start = json.indexOf("\"id\":\"") + "\"id\":\"".length();
    return json.substring(start, json.indexOf('"', start));
  }

  private static String read(OkHttpClient client, Request request) throws Exception {
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    }
  }
}
