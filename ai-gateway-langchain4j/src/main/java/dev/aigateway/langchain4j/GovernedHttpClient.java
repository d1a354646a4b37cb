package dev.aigateway.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.GatewayRejectedException;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.wire.Json;
import dev.aigateway.okhttp.SdkCalls;
import dev.aigateway.okhttp.SdkResponse;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.http.client.FormDataFile;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEvent;
import dev.langchain4j.http.client.sse.ServerSentEventContext;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventListenerUtils;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * LangChain4j's HTTP client over a wrapped OkHttp client; see {@link GovernedHttpClientBuilder}.
 */
final class GovernedHttpClient implements HttpClient {

  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  private final OkHttpClient client;
  private final Duration maxRetryWait;

  GovernedHttpClient(OkHttpClient client, Duration maxRetryWait) {
    this.client = client;
    this.maxRetryWait = maxRetryWait;
  }

  @Override
  public SuccessfulHttpResponse execute(HttpRequest request) {
    try (Response response = client.newCall(toOkHttp(request)).execute()) {
      ResponseBody body = response.body();
      byte[] bytes = body == null ? new byte[0] : body.bytes();
      if (!response.isSuccessful()) {
        throw failure(response, new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
      }
      return SuccessfulHttpResponse.builder()
          .statusCode(response.code())
          .headers(headers(response))
          .body(bytes)
          .build();
    } catch (GatewayRejectedException rejected) {
      throw thrownRejection(rejected);
    } catch (IOException e) {
      throw ioFailure(e);
    }
  }

  @Override
  public void execute(
      HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
    client
        .newCall(toOkHttp(request))
        .enqueue(
            new Callback() {
              @Override
              public void onResponse(Call call, Response response) {
                // Read on another of the dispatcher's threads: OkHttp counts an asynchronous call
                // against its per-host and total limits until this callback returns, so a stream
                // read here would hold back every call past those limits until it ends.
                Runnable read = () -> read(call, response, parser, listener);
                try {
                  client.dispatcher().executorService().execute(read);
                } catch (RejectedExecutionException saturated) {
                  read.run();
                }
              }

              @Override
              public void onFailure(Call call, IOException e) {
                RuntimeException error =
                    e instanceof GatewayRejectedException rejected
                        ? thrownRejection(rejected)
                        : ioFailure(e);
                ServerSentEventListenerUtils.ignoringExceptions(() -> listener.onError(error));
              }
            });
  }

  /**
   * Reads a streamed response to its end (or the listener's cancel) and closes it. The parser reads
   * the body through an {@link SdkResponse}: LangChain4j's {@code StreamingHandle.cancel()} closes
   * the stream it parses from whatever thread calls it, and OkHttp's body takes no close during a
   * read (the close fails, and the read waits for the backend's next bytes or the read timeout),
   * whereas an {@link SdkResponse} closed under a read cancels the call, so the read ends at once
   * and the call ends cancelled. A stream that fails while it is read (the backend drops the
   * connection, or falls silent past the read timeout) ends in the listener's {@code onError}
   * alone: the parser reports the failure and returns, and the listener's {@code onClose}, which
   * LangChain4j's models take for the end of the answer (they complete with the text read so far),
   * is not called after it.
   */
  private void read(
      Call call,
      Response response,
      ServerSentEventParser parser,
      ServerSentEventListener listener) {
    StreamedResponse streamed = new StreamedResponse(response, call);
    try {
      ResponseBody body = response.body();
      if (!response.isSuccessful()) {
        String text = body == null ? "" : body.string();
        RuntimeException error = failure(response, text);
        ServerSentEventListenerUtils.ignoringExceptions(() -> listener.onError(error));
        return;
      }
      SuccessfulHttpResponse opened =
          SuccessfulHttpResponse.builder()
              .statusCode(response.code())
              .headers(headers(response))
              .build();
      ServerSentEventListenerUtils.ignoringExceptions(() -> listener.onOpen(opened));
      ServerSentEventListener reported = streamed.reporting(listener);
      if (body != null) {
        parser.parse(streamed.body(), reported); // chunk by chunk
      }
      ServerSentEventListenerUtils.ignoringExceptions(reported::onClose);
    } catch (Exception e) {
      Exception error = e instanceof IOException io && timedOut(io) ? new TimeoutException(io) : e;
      ServerSentEventListenerUtils.ignoringExceptions(() -> listener.onError(error));
    } finally {
      streamed.close();
    }
  }

  /**
   * A streamed response whose body a close from another thread ends by cancelling its call. Such a
   * close is LangChain4j's {@code StreamingHandle.cancel()}: the read it ends then fails, and that
   * failure, the cancel's own doing, is not reported to the listener as an error (a cancel from
   * within the listener, on the reading thread, ends the parse without a read to fail).
   */
  private static final class StreamedResponse extends SdkResponse {
    private final Thread reader = Thread.currentThread();
    private volatile boolean cancelled;

    /** Whether a failure of the stream was reported to the listener. */
    private volatile boolean failed;

    StreamedResponse(Response response, Call call) {
      super(response, call);
    }

    @Override
    public void close() {
      if (Thread.currentThread() != reader) {
        cancelled = true;
      }
      super.close();
    }

    /**
     * {@code listener} as the parser and the end of the read call it: its {@code onError} dropped
     * once the stream was cancelled, given LangChain4j's {@link TimeoutException} for a read that
     * timed out (as before the answer's headers), and its {@code onClose} not called once an error
     * was reported, so the stream ends in the error alone, not also in a completion.
     */
    ServerSentEventListener reporting(ServerSentEventListener listener) {
      return new ServerSentEventListener() {
        @Override
        public void onOpen(SuccessfulHttpResponse response) {
          listener.onOpen(response);
        }

        @Override
        public void onEvent(ServerSentEvent event, ServerSentEventContext context) {
          if (!stoppedBy(event)) {
            listener.onEvent(event, context);
          }
        }

        @Override
        public void onEvent(ServerSentEvent event) {
          if (!stoppedBy(event)) {
            listener.onEvent(event);
          }
        }

        /**
         * Whether the stream ended in an error before {@code event} (then dropped), or ends in
         * {@code event}: the gateway's event that a content check stopped the answer, reported to
         * the listener as a {@link GatewayContentFilteredException}.
         */
        private boolean stoppedBy(ServerSentEvent event) {
          if (failed) {
            return true;
          }
          String body = event.data();
          if (!answerBlocked(body)) {
            return false;
          }
          onError(
              new GatewayContentFilteredException(
                  new RejectionDetails(statusCode(), RejectionReason.CONTENT_BLOCKED, null),
                  body,
                  null));
          return true;
        }

        @Override
        public void onError(Throwable error) {
          if (cancelled || failed) {
            return;
          }
          failed = true;
          listener.onError(
              error instanceof IOException io && timedOut(io) ? new TimeoutException(io) : error);
        }

        @Override
        public void onClose() {
          if (!failed) {
            listener.onClose();
          }
        }
      };
    }
  }

  /**
   * Whether a stream event's data is the event the gateway ends an OpenAI-shaped stream with when a
   * content check stops the answer midway: an error object with code {@code content_filter} and
   * param {@code answer}. LangChain4j's OpenAI models take an error object for a chunk without
   * choices, and so would complete with the text before it.
   */
  private static boolean answerBlocked(@Nullable String data) {
    if (data == null || !data.startsWith("{") || !data.contains("content_filter")) {
      return false; // the common chunk, without parsing it
    }
    try {
      JsonNode error = Json.MAPPER.readTree(data).path("error");
      return "content_filter".equals(error.path("code").asText())
          && "answer".equals(error.path("param").asText());
    } catch (IOException | RuntimeException notJson) {
      return false;
    }
  }

  /**
   * The error LangChain4j sees for a call that failed on the network: its {@link TimeoutException}
   * for a timeout (connect, read, write or the whole call), as its own HTTP client reports one, so
   * an application catches it by that type; an {@link UncheckedIOException} otherwise.
   */
  private static RuntimeException ioFailure(IOException e) {
    return timedOut(e) ? new TimeoutException(e) : new UncheckedIOException(e);
  }

  /**
   * Whether OkHttp failed the call for a timeout: a connect, read or write timeout is a {@link
   * SocketTimeoutException}, the whole call's timeout an {@link InterruptedIOException} that says
   * "timeout".
   */
  private static boolean timedOut(IOException e) {
    return e instanceof SocketTimeoutException
        || (e instanceof InterruptedIOException && "timeout".equals(e.getMessage()));
  }

  /** The error LangChain4j sees for a non-2xx answer; see {@link GatewayRejection}. */
  private RuntimeException failure(Response response, String body) {
    String rejected = response.header(Rejection.REJECTED_HEADER);
    if (rejected == null) {
      return new HttpException(response.code(), body); // the backend's own: LangChain4j maps it
    }
    RejectionReason reason = null;
    for (RejectionReason known : RejectionReason.values()) {
      if (known.headerValue().equalsIgnoreCase(rejected.trim())) {
        reason = known;
      }
    }
    boolean neverFits = "false".equalsIgnoreCase(response.header(Rejection.SHOULD_RETRY));
    return rejection(
        response.code(), reason, Rejection.declaredWait(response::header), neverFits, body, null);
  }

  /**
   * The {@link GatewayRejection} for a refusal the gateway threw: read as its answer would be, so a
   * call that can never fit (its recorded answer says {@code x-should-retry: false}, though it
   * declares a wait) is not retried either.
   */
  private RuntimeException thrownRejection(GatewayRejectedException rejected) {
    boolean neverFits =
        rejected
            .response()
            .map(
                answer ->
                    answer.headers().entrySet().stream()
                        .anyMatch(
                            header ->
                                header.getKey().equalsIgnoreCase(Rejection.SHOULD_RETRY)
                                    && "false".equalsIgnoreCase(header.getValue())))
            .orElse(false);
    return rejection(
        rejected.status(),
        rejected.reason(),
        rejected.retryAfter(),
        neverFits,
        String.valueOf(rejected.getMessage()),
        rejected);
  }

  /**
   * The {@link GatewayRejection} for a refusal: the LangChain4j exception its models throw for the
   * same status from the provider, except that a 429 or 5xx is retriable only when its wait is
   * within {@link #maxRetryWait}, and a spent quota never is. None has an {@link HttpException} as
   * its cause, so LangChain4j's exception mapping passes it on as it is.
   */
  private RuntimeException rejection(
      int status,
      @Nullable RejectionReason reason,
      @Nullable Duration wait,
      boolean neverFits,
      String body,
      @Nullable Throwable cause) {
    RejectionDetails details = new RejectionDetails(status, reason, wait);
    if (reason == RejectionReason.TOKEN_QUOTA || reason == RejectionReason.REQUEST_QUOTA) {
      // whatever its status (403, or 429 as OpenAI answers) and however near its window's end
      return new GatewayRejectionException(details, body, cause);
    }
    if (status == 429 || status >= 500) {
      boolean soon = !neverFits && wait != null && wait.compareTo(maxRetryWait) <= 0;
      if (!soon) {
        return new GatewayRejectionException(details, body, cause);
      }
      return status == 429
          ? new GatewayRateLimitException(details, body, cause)
          : new GatewayUnavailableException(details, body, cause);
    }
    if (reason == RejectionReason.CONTENT_BLOCKED) {
      return new GatewayContentFilteredException(details, body, cause);
    }
    if (status == 401 || status == 403) {
      return new GatewayAuthenticationException(details, body, cause);
    }
    if (status == 404) {
      return new GatewayModelNotFoundException(details, body, cause);
    }
    return new GatewayInvalidRequestException(details, body, cause);
  }

  private static Map<String, List<String>> headers(Response response) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String name : response.headers().names()) {
      headers.put(name, response.headers(name));
    }
    return headers;
  }

  private static Request toOkHttp(HttpRequest request) {
    Map<String, List<String>> headers = request.headers();
    return SdkCalls.request(
        request.url(), request.method().name(), headers.keySet(), headers::get, body(request));
  }

  private static @Nullable RequestBody body(HttpRequest request) {
    Map<String, String> fields = request.formDataFields();
    Map<String, FormDataFile> files = request.formDataFiles();
    boolean multipart =
        (fields != null && !fields.isEmpty()) || (files != null && !files.isEmpty());
    if (multipart) {
      MultipartBody.Builder form = new MultipartBody.Builder().setType(MultipartBody.FORM);
      if (fields != null) {
        fields.forEach(form::addFormDataPart);
      }
      if (files != null) {
        files.forEach(
            (name, file) ->
                form.addFormDataPart(
                    name,
                    file.fileName(),
                    RequestBody.create(
                        file.content(),
                        file.contentType() == null ? null : MediaType.parse(file.contentType()))));
      }
      return form.build();
    }
    String body = request.body();
    if (body != null) {
      return RequestBody.create(body, JSON);
    }
    return null; // SdkCalls.request gives the methods that need one an empty body
  }
}
