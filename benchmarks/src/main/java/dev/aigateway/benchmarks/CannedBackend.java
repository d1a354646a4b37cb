package dev.aigateway.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.Okio;
import okio.Source;
import okio.Timeout;

/**
 * An OpenAI chat backend played by the last application interceptor: it answers every call with a
 * canned answer and never touches the network, so a benchmark measures the client and the gateway
 * and nothing else.
 *
 * <p>It still behaves as OpenAI does where the gateway can tell: it reads the request body (as a
 * socket write would), answers {@code "stream":true} with server-sent events, and puts usage in a
 * stream only when {@code stream_options.include_usage} asks for it, with {@code "usage":null} on
 * every other chunk. A JSON answer always carries usage.
 *
 * <p>A paced backend hands a stream out as a socket would when the server flushes every event: each
 * read of the body returns at most one event, so the client and the gateway do their work once per
 * event, as they do against a real backend; an unpaced one hands out the whole stream at the first
 * read.
 */
final class CannedBackend implements Interceptor {

  /** Data events in a canned stream before {@code [DONE]}, without the usage chunk. */
  static final int STREAM_CHUNKS = 20;

  private static final MediaType JSON = MediaType.get("application/json");
  private static final MediaType EVENT_STREAM = MediaType.get("text/event-stream; charset=utf-8");
  private static final String STREAM = "\"stream\":true";
  private static final String INCLUDE_USAGE = "\"include_usage\":true";

  private static final String ID = "chatcmpl-Bench0000000000000000000001";
  private static final long CREATED = 1_767_225_600L;
  private static final String MODEL = "gpt-4o-mini-2024-07-18";
  private static final String FINGERPRINT = "fp_bench0001";
  private static final String[] ANSWER =
      ("Hello team, good to see you all here today. The "
              + "gateway keeps count of every token, so carry")
          .split(" ");
  private static final String USAGE =
      "{\"prompt_tokens\":27,\"completion_tokens\":"
          + (STREAM_CHUNKS - 2)
          + ",\"total_tokens\":"
          + (27 + STREAM_CHUNKS - 2)
          + ",\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
          + "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
          + "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}";

  static final byte[] COMPLETION =
      utf8(
          "{\"id\":\""
              + ID
              + "\",\"object\":\"chat.completion\","
              + "\"created\":"
              + CREATED
              + ",\"model\":\""
              + MODEL
              + "\",\"choices\":[{\"index\":0,"
              + "\"message\":{\"role\":\"assistant\",\"content\":\""
              + String.join(" ", ANSWER)
              + "\","
              + "\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
              + "\"usage\":"
              + USAGE
              + ",\"service_tier\":\"default\",\"system_fingerprint\":\""
              + FINGERPRINT
              + "\"}");
  static final byte[] EVENTS = events(false);
  static final byte[] EVENTS_WITH_USAGE = events(true);

  /** Where {@link #COMPLETION}'s id and creation time sit, to give each answer its own. */
  static final Stamp COMPLETION_STAMP = Stamp.of(COMPLETION);

  /** The same for {@link #EVENTS}: one id and one creation time per chunk. */
  static final Stamp EVENTS_STAMP = Stamp.of(EVENTS);

  /** The same for {@link #EVENTS_WITH_USAGE}. */
  static final Stamp EVENTS_WITH_USAGE_STAMP = Stamp.of(EVENTS_WITH_USAGE);

  private final boolean paced;
  private final boolean varying;
  private final AtomicLong answers = new AtomicLong();

  /** A backend whose streams are read whole at the first read; the same bytes every answer. */
  CannedBackend() {
    this(false);
  }

  /**
   * A backend whose streams are read one event per read when {@code paced}; the same bytes every
   * answer.
   */
  CannedBackend(boolean paced) {
    this(paced, false);
  }

  /**
   * A backend whose streams are read one event per read when {@code paced}, and, when {@code
   * varying}, whose every answer has its own id and the creation time of the second it is made in
   * (see {@link Stamp}), as a real backend's; else every answer has the canned id and time.
   */
  CannedBackend(boolean paced, boolean varying) {
    this.paced = paced;
    this.varying = varying;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    RequestBody requestBody = request.body();
    Buffer sent = new Buffer();
    if (requestBody != null) {
      requestBody.writeTo(sent);
    }
    // Searched as Latin-1 text (one byte a char, so ASCII patterns match exactly), which the JDK
    // searches with vector instructions. Not Buffer.indexOf: it goes byte by byte, costs 1.6 us
    // on a 5.6 KB body, and its compiled code came out 2-3 us slower in the governed forks than
    // in the plain ones, a difference that is the benchmark's and not the gateway's.
    String text = sent.readString(StandardCharsets.ISO_8859_1);
    boolean stream = text.contains(STREAM);
    boolean usage = stream && text.contains(INCLUDE_USAGE);
    byte[] answer = !stream ? COMPLETION : usage ? EVENTS_WITH_USAGE : EVENTS;
    MediaType type = stream ? EVENT_STREAM : JSON;
    long now = System.currentTimeMillis();
    if (varying) {
      Stamp stamp = !stream ? COMPLETION_STAMP : usage ? EVENTS_WITH_USAGE_STAMP : EVENTS_STAMP;
      answer = stamp.onto(answer.clone(), answers.incrementAndGet(), now / 1000);
    }
    return new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(200)
        .message("OK")
        .header("Content-Type", type.toString())
        .body(
            stream && paced
                ? ResponseBody.create(Okio.buffer(new EventAtATime(answer)), type, -1)
                : ResponseBody.create(answer, type))
        .sentRequestAtMillis(now)
        .receivedResponseAtMillis(now)
        .build();
  }

  /** Role chunk, one chunk per answer word, finish chunk; then usage if asked; then DONE. */
  private static byte[] events(boolean withUsage) {
    String head =
        "{\"id\":\""
            + ID
            + "\",\"object\":\"chat.completion.chunk\",\"created\":"
            + CREATED
            + ",\"model\":\""
            + MODEL
            + "\",\"service_tier\":\"default\","
            + "\"system_fingerprint\":\""
            + FINGERPRINT
            + "\",\"choices\":";
    String tail = withUsage ? ",\"usage\":null}\n\n" : "}\n\n";
    StringBuilder events = new StringBuilder();
    events
        .append("data: ")
        .append(head)
        .append(
            "[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]")
        .append(tail);
    for (int i = 0; i < STREAM_CHUNKS - 2; i++) {
      String word = (i == 0 ? "" : " ") + ANSWER[i];
      events
          .append("data: ")
          .append(head)
          .append("[{\"index\":0,\"delta\":{\"content\":\"")
          .append(word)
          .append("\"},\"logprobs\":null,\"finish_reason\":null}]")
          .append(tail);
    }
    events
        .append("data: ")
        .append(head)
        .append("[{\"index\":0,\"delta\":{},\"logprobs\":null," + "\"finish_reason\":\"stop\"}]")
        .append(tail);
    if (withUsage) {
      events.append("data: ").append(head).append("[],\"usage\":").append(USAGE).append("}\n\n");
    }
    events.append("data: [DONE]\n\n");
    return utf8(events.toString());
  }

  /**
   * Where a canned answer's id ({@code chatcmpl-} and 27 letters and digits) and creation time (ten
   * digits of epoch seconds) sit, so that each answer can be given its own at the same byte length,
   * as a real backend gives them: a new id per answer (the same in every chunk of one stream) and
   * the second the answer was made.
   *
   * <p>The id of answer {@code n} is a pure function of {@code n} whose every letter depends on all
   * of {@code n}'s bits (a SplitMix64 sequence seeded by {@code n}, one base-62 letter per step),
   * so ids of successive answers differ from their first letter on, as random ids do, and yet a run
   * is reproducible.
   */
  static final class Stamp {
    /** Letters after {@code chatcmpl-} in a canned id. */
    static final int ID_LETTERS = ID.length() - "chatcmpl-".length();

    private static final byte[] ALPHABET =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            .getBytes(StandardCharsets.US_ASCII);
    private static final int CREATED_DIGITS = Long.toString(CREATED).length();

    private final int[] ids;
    private final int[] createds;

    private Stamp(int[] ids, int[] createds) {
      this.ids = ids;
      this.createds = createds;
    }

    /** Finds every canned id's letters and every canned creation time in {@code template}. */
    static Stamp of(byte[] template) {
      int[] ids = offsets(template, "\"id\":\"" + ID + "\"", "\"id\":\"chatcmpl-".length());
      int[] createds = offsets(template, "\"created\":" + CREATED + ",", "\"created\":".length());
      if (ids.length == 0 || ids.length != createds.length) {
        throw new IllegalArgumentException(
            "a canned answer has one id and one creation time per body or chunk, but found "
                + ids.length
                + " ids and "
                + createds.length
                + " times");
      }
      return new Stamp(ids, createds);
    }

    /** How many places the id (and the time) is written to: one per body or chunk. */
    int places() {
      return ids.length;
    }

    /**
     * Writes answer {@code n}'s id and {@code createdSeconds} over the ones in {@code answer} (the
     * template's bytes or a copy stamped before); returns {@code answer}.
     *
     * @throws IllegalArgumentException when {@code createdSeconds} has not ten digits
     */
    byte[] onto(byte[] answer, long n, long createdSeconds) {
      if (createdSeconds < 1_000_000_000L || createdSeconds > 9_999_999_999L) {
        throw new IllegalArgumentException(
            "a creation time of " + CREATED_DIGITS + " digits, not " + createdSeconds);
      }
      letters(n, answer, ids[0]);
      for (int i = 1; i < ids.length; i++) {
        System.arraycopy(answer, ids[0], answer, ids[i], ID_LETTERS);
      }
      for (int at : createds) {
        long rest = createdSeconds;
        for (int i = CREATED_DIGITS - 1; i >= 0; i--) {
          answer[at + i] = (byte) ('0' + rest % 10);
          rest /= 10;
        }
      }
      return answer;
    }

    /**
     * Answer {@code n}'s {@value #ID_LETTERS} id letters, written into {@code into} at {@code at}.
     */
    static void letters(long n, byte[] into, int at) {
      long state = n;
      for (int i = at; i < at + ID_LETTERS; i++) {
        state += 0x9E3779B97F4A7C15L;
        long z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        into[i] = ALPHABET[(int) Long.remainderUnsigned(z, ALPHABET.length)];
      }
    }

    /** Offsets of {@code marker} in {@code bytes}, each plus {@code skip}. */
    private static int[] offsets(byte[] bytes, String marker, int skip) {
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      int[] found = new int[8];
      int count = 0;
      for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
        if (count == found.length) {
          found = Arrays.copyOf(found, count * 2);
        }
        found[count++] = at + skip;
      }
      return Arrays.copyOf(found, count);
    }
  }

  /** A stream's bytes, at most one event (up to its blank line) per read. */
  private static final class EventAtATime implements Source {
    private final byte[] events;
    private int position;

    EventAtATime(byte[] events) {
      this.events = events;
    }

    @Override
    public long read(Buffer sink, long byteCount) {
      if (position == events.length) {
        return -1;
      }
      int end = position;
      while (end < events.length && !(events[end] == '\n' && end > 0 && events[end - 1] == '\n')) {
        end++;
      }
      int n = (int) Math.min(byteCount, Math.min(events.length, end + 1) - position);
      sink.write(events, position, n);
      position += n;
      return n;
    }

    @Override
    public Timeout timeout() {
      return Timeout.NONE;
    }

    @Override
    public void close() {}
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
