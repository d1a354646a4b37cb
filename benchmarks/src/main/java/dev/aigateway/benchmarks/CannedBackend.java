package dev.aigateway.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

  private final boolean paced;

  /** A backend whose streams are read whole at the first read. */
  CannedBackend() {
    this(false);
  }

  /** A backend whose streams are read one event per read when {@code paced}. */
  CannedBackend(boolean paced) {
    this.paced = paced;
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
    byte[] answer =
        !stream ? COMPLETION : text.contains(INCLUDE_USAGE) ? EVENTS_WITH_USAGE : EVENTS;
    MediaType type = stream ? EVENT_STREAM : JSON;
    long now = System.currentTimeMillis();
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
