package dev.aigateway.okhttp;

import dev.aigateway.api.CallMatch;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.AttemptLoop;
import dev.aigateway.core.adapter.AttemptSender;
import dev.aigateway.core.adapter.BackgroundResponses;
import dev.aigateway.core.adapter.GovernedCall;
import dev.aigateway.core.agent.AgentGovernance;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.AttemptPlan;
import dev.aigateway.core.pipeline.Rejection;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.AsyncTimeout;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Okio;
import okio.Source;
import okio.Timeout;
import org.jspecify.annotations.Nullable;

/** The OkHttp face of the gateway: one per wrapped client, stateless beyond its gateway. */
final class GatewayInterceptor implements Interceptor {

  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
  private static final String CONTENT_TYPE = "Content-Type";
  private static final int KNOWN_MEDIA_TYPES_MAX = 64;
  private static final ConcurrentHashMap<String, Optional<MediaType>> KNOWN_MEDIA_TYPES =
      new ConcurrentHashMap<>();

  private final AiGateway gateway;

  /**
   * The headers a governed call's attempts leave out, as an array (walked per call without an
   * iterator): those that address only the gateway, and {@code Accept-Encoding}. The gateway reads
   * the answer above OkHttp's own inflating, which an application that asks for an encoding itself
   * turns off: the gateway would read compressed bytes (no usage, a stream it cannot follow). Left
   * out, OkHttp asks for gzip and inflates, and the application gets the answer inflated, without
   * {@code Content-Encoding}.
   */
  private final String[] gatewayHeaders;

  /**
   * The headers that address only the gateway ({@link AiGateway#gatewayHeaders()}), as an array:
   * removed also from the requests the gateway passes through to an origin it sends LLM calls to
   * ({@link #llmOrigins}), so that a header an SDK sets on all its requests (the consumer id, a
   * tenant) does not reach the backend on the calls the gateway does not govern (files, models, …).
   * Empty when the gateway forwards them ({@code forwardGatewayHeaders(true)}).
   */
  private final String[] gatewayOnly;

  /**
   * The origins ({@code scheme://host:port}) the gateway sends LLM calls to: its pool's backends,
   * and every origin it has governed a call to (at most {@link #LLM_ORIGINS_MAX}). A request passed
   * through to one of them, or to a provider's public API host ({@link #providerHost}), goes
   * without the headers that address only the gateway; a request to any other origin (the
   * application's own services, which the wrapped client may call too) is sent as it is.
   */
  private final Set<String> llmOrigins = ConcurrentHashMap.newKeySet();

  private static final int LLM_ORIGINS_MAX = 256;

  /** The URL of the last governed call whose origin was recorded (to skip recording it again). */
  private volatile @Nullable HttpUrl recentOrigin;

  /**
   * The encoded path of the last request looked at: the next request to the same path (the calls to
   * one endpoint follow each other) reads it from here instead of having OkHttp cut a new string
   * out of its URL, and the gateway, which remembers what the last path it saw is, then finds that
   * path by identity. Immutable, so threads that read it see a whole one.
   */
  private volatile @Nullable String recentPath;

  GatewayInterceptor(AiGateway gateway) {
    this.gateway = gateway;
    this.gatewayOnly = gateway.gatewayHeaders().toArray(new String[0]);
    if (gateway.backendPool() != null && gatewayOnly.length > 0) {
      for (dev.aigateway.core.routing.Backend backend : gateway.backendPool().backends()) {
        HttpUrl url = HttpUrl.parse(backend.requestBaseUrl());
        if (url != null) {
          llmOrigins.add(origin(url));
        }
      }
    }
    List<String> leftOut = new ArrayList<>(gateway.gatewayHeaders());
    leftOut.add("Accept-Encoding");
    this.gatewayHeaders = leftOut.toArray(new String[0]);
  }

  /** The gateway this interceptor runs. */
  AiGateway gateway() {
    return gateway;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    if (chain.connection() != null) {
      // Only a network interceptor's chain has a connection: there the gateway could neither
      // answer a call itself (a rejection, a cache hit) nor send it to another backend.
      throw new IOException(
          "ai-gateway's interceptor was added with addNetworkInterceptor, where it can neither"
              + " answer a call itself nor route it: add it with addInterceptor, or wrap the"
              + " client with OkHttpAiGateway.wrap; nothing was sent");
    }
    Request request = chain.request();
    AgentGovernance agents = gateway.agentGovernance();
    if (agents != null) {
      AgentGovernance.Target target =
          agents.match(
              request.method(),
              request.url().scheme(),
              request.url().host(),
              request.url().port(),
              request.url().encodedPath());
      if (target != null) {
        return AgentExchange.intercept(chain, agents, target);
      }
    }
    if (gateway.governsNothing()) {
      return chain.proceed(stripped(request));
    }
    OkHttpClientRequest clientRequest =
        new OkHttpClientRequest(request, encodedPath(request.url()));
    // The request serves as its own headers for the match: no function object per call.
    CallMatch match = gateway.match(request.method(), clientRequest.encodedPath(), clientRequest);
    if (match == null) {
      Request passed = stripped(request);
      return gateway.backgroundResponses().size() == 0
          ? chain.proceed(passed)
          : passedOn(chain, passed, clientRequest.encodedPath());
    }
    RequestBody body = request.body();
    byte[] bytes;
    try {
      bytes = OkHttpClientRequest.bodyOf(body);
    } catch (IOException | RuntimeException e) {
      // Nothing was sent, yet the call was governed: it ends with its one event, on its headers.
      gateway.begin(match, clientRequest).refused(e);
      throw e;
    }
    clientRequest.body(bytes);
    GovernedCall call = gateway.begin(match, clientRequest);
    Admission admission;
    try {
      admission = call.admit();
    } catch (UncheckedIOException e) {
      throw e
          .getCause(); // the call ended failed, with its event: the application gets an IOException
    }
    if (!admission.admitted()) {
      Rejection rejection = admission.rejection();
      if (gateway.throwOnRejection()) {
        throw rejection.exception();
      }
      return synthetic(request, rejection);
    }
    if (admission.cachedAnswer() != null) {
      return cached(request, admission);
    }
    Sender sender = new Sender(chain, request, body, bytes);
    AttemptLoop.Answer<Response> answer;
    try {
      answer = AttemptLoop.send(call, sender);
    } catch (IOException e) {
      throw sender.failure(e);
    }
    if (answer.rejection() != null) {
      if (gateway.throwOnRejection()) {
        throw answer.rejection().exception();
      }
      return synthetic(request, answer.rejection());
    }
    return delivered(call, answer, admission, sender);
  }

  /**
   * A request the gateway does not govern as it is sent on: to an origin it sends LLM calls to
   * ({@link #llmOrigins}), without the headers that address only the gateway; else unchanged (the
   * request itself).
   */
  private Request stripped(Request request) {
    boolean carries = false;
    for (String name : gatewayOnly) {
      if (request.header(name) != null) {
        carries = true;
        break;
      }
    }
    if (!carries
        || !(llmOrigins.contains(origin(request.url())) || providerHost(request.url().host()))) {
      return request;
    }
    Request.Builder without = request.newBuilder();
    for (String name : gatewayOnly) {
      without.removeHeader(name);
    }
    return without.build();
  }

  /**
   * Whether {@code host} is one of the public API hosts of the providers whose calls the gateway
   * reads (OpenAI, Azure OpenAI and Azure AI Foundry, Anthropic, Gemini and Vertex AI, Bedrock): an
   * LLM origin from the first request on, before any governed call went there. Without it, the
   * requests an SDK makes before its first governed call on a direct route (a model listing at
   * start-up, say) carried the gateway's headers to the provider: a consumer id, or the caller's
   * own token when the JWT resolver strips it.
   */
  static boolean providerHost(String host) {
    String h = host.toLowerCase(java.util.Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h.equals("api.openai.com")
        || h.endsWith(".openai.azure.com")
        || h.endsWith(".cognitiveservices.azure.com")
        || h.endsWith(".services.ai.azure.com")
        || h.endsWith(".models.ai.azure.com")
        || h.equals("api.anthropic.com")
        || h.equals("generativelanguage.googleapis.com")
        || h.equals("aiplatform.googleapis.com")
        || h.endsWith("-aiplatform.googleapis.com")
        || (h.startsWith("bedrock")
            && (h.endsWith(".amazonaws.com") || h.endsWith(".amazonaws.com.cn")));
  }

  /** Records the origin of a governed call's attempt as one the gateway sends LLM calls to. */
  private void governedCallTo(HttpUrl url) {
    if (gatewayOnly.length == 0) {
      return;
    }
    HttpUrl recent = recentOrigin;
    if (recent != null
        && recent.port() == url.port()
        && recent.host().equals(url.host())
        && recent.scheme().equals(url.scheme())) {
      return;
    }
    if (llmOrigins.size() < LLM_ORIGINS_MAX) {
      llmOrigins.add(origin(url));
    }
    recentOrigin = url;
  }

  private static String origin(HttpUrl url) {
    return url.scheme() + "://" + url.host() + ":" + url.port();
  }

  /**
   * A request the gateway does not govern, sent on as it is (but for the headers that address only
   * the gateway), while background calls wait for their usage: when it polls one of their responses
   * and is answered 2xx, its body is read on its way to the application (a copy kept up to the
   * gateway's {@code maxObservedBodyBytes}), and once read whole it may settle the call ({@link
   * BackgroundResponses#polled}).
   */
  private Response passedOn(Chain chain, Request request, String encodedPath) throws IOException {
    BackgroundResponses background = gateway.backgroundResponses();
    String id = BackgroundResponses.polledId(request.method(), encodedPath);
    if (id == null || !background.awaits(id)) {
      return chain.proceed(request);
    }
    Response response = chain.proceed(request);
    ResponseBody body = response.body();
    MediaType type = body == null ? null : body.contentType();
    if (!response.isSuccessful()
        || body == null
        || (type != null && "event-stream".equals(type.subtype()))) {
      return response; // a streamed poll is not read: the call is left to expire
    }
    PolledSource polled =
        new PolledSource(body.source(), background, id, gateway.maxObservedBodyBytes());
    return response
        .newBuilder()
        .body(ResponseBody.create(Okio.buffer(polled), type, body.contentLength()))
        .build();
  }

  /**
   * A poll's body as the application reads it: the bytes are copied, up to a bound, and once the
   * body has ended or been closed the copy is handed to the waiting background calls (exactly
   * once), which read it only if it is a whole JSON document.
   */
  private static final class PolledSource extends ForwardingSource {
    private final BackgroundResponses background;
    private final String id;
    private final long maxBytes;
    private final Buffer copy = new Buffer();
    private boolean done;

    PolledSource(Source source, BackgroundResponses background, String id, long maxBytes) {
      super(source);
      this.background = background;
      this.id = id;
      this.maxBytes = maxBytes;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      long n = super.read(sink, byteCount);
      if (done) {
        return n;
      }
      if (n < 0) {
        handOn();
      } else if (copy.size() + n > maxBytes) {
        done = true; // too long to read: left to expire
        copy.clear();
      } else {
        sink.copyTo(copy, sink.size() - n, n);
      }
      return n;
    }

    /**
     * Closes the body. SDKs close a JSON document once they have parsed it, without reading the
     * body's end: what was read is handed on then, and counts only if it is a whole document.
     */
    @Override
    public void close() throws IOException {
      try {
        super.close();
      } finally {
        if (!done) {
          handOn();
        }
      }
    }

    private void handOn() {
      done = true;
      byte[] doc = copy.readByteArray();
      background.polled(id, doc, 0, doc.length);
    }
  }

  /**
   * The URL's encoded path, as {@link HttpUrl#encodedPath()} gives it: {@link #recentPath} when the
   * URL's path is that one, else OkHttp's own cut (then remembered). The path starts at the first
   * {@code /} after the scheme's {@code ://} and ends before the first {@code ?} or {@code #} (or
   * at the URL's end), as OkHttp cuts it; an encoded path holds neither character, so a URL whose
   * text from the path's start begins with the remembered path followed by one of them (or its end)
   * has that path.
   */
  String encodedPath(HttpUrl url) {
    String recent = recentPath;
    if (recent != null) {
      String whole = url.toString(); // the URL's text as OkHttp keeps it: no string is built
      int start = whole.indexOf('/', url.scheme().length() + 3);
      int end = start + recent.length();
      if (start >= 0 && whole.startsWith(recent, start)) {
        if (end == whole.length() || whole.charAt(end) == '?' || whole.charAt(end) == '#') {
          return recent;
        }
      }
    }
    String path = url.encodedPath();
    recentPath = path;
    return path;
  }

  /** Sends a call's attempts down the chain: OkHttp requests and responses for the core's loop. */
  private final class Sender implements AttemptSender<Response> {
    private final Chain chain;
    private final Request request;
    private final RequestBody body;
    private final byte[] bytes;

    Sender(Chain chain, Request request, RequestBody body, byte[] bytes) {
      this.chain = chain;
      this.request = request;
      this.body = body;
      this.bytes = bytes;
    }

    @Override
    public Response send(AttemptPlan plan) throws IOException {
      Request sent = attempt(request, body, bytes, plan);
      governedCallTo(sent.url());
      return chain.proceed(sent);
    }

    @Override
    public int status(Response response) {
      return response.code();
    }

    /**
     * The last response whose {@code Content-Type} the loop asked for, and that value: the answer
     * delivered reads it again for its body's media type, without walking the headers twice.
     */
    private @Nullable Response typed;

    private @Nullable String type;

    @Override
    public String header(Response response, String name) {
      String value = response.header(name);
      if (CONTENT_TYPE.equals(name)) {
        typed = response;
        type = value;
      }
      return value;
    }

    /** The response's {@code Content-Type}, as the loop read it or read now. */
    @Nullable String contentType(Response response) {
      return response == typed ? type : response.header(CONTENT_TYPE);
    }

    @Override
    public InputStream body(Response response) {
      return response.body().byteStream();
    }

    @Override
    public void readDeadline(Response response, Duration timeout) {
      Timeout reads = response.body().source().timeout();
      if (timeout == null) {
        reads.clearDeadline();
      } else {
        reads.deadline(timeout.toNanos(), TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public void discard(Response response) {
      response.close();
    }

    @Override
    public boolean canceled() {
      return chain.call().isCanceled();
    }

    /** Whether {@link #timedOut} was asked, and its answer: the call's timeout tells only once. */
    private boolean timeoutAsked;

    private boolean timedOut;

    /**
     * OkHttp ends a call at its {@code callTimeout} by cancelling it: its timeout (an okio {@link
     * AsyncTimeout}) says whether it fired when it is exited, which OkHttp does only once the call
     * has left the interceptors. Exited here instead, the call's failure is made the one OkHttp
     * would have made of it ({@link #failure}).
     */
    @Override
    public boolean timedOut() {
      if (!timeoutAsked) {
        timeoutAsked = true;
        timedOut = chain.call().timeout() instanceof AsyncTimeout timeout && timeout.exit();
      }
      return timedOut;
    }

    /**
     * The failure the application gets for a call that failed with {@code failure}: a call its
     * timeout ended fails as OkHttp fails it ({@code InterruptedIOException: timeout}), one the
     * application cancelled as OkHttp fails a cancelled call ({@code IOException: Canceled}), each
     * caused by {@code failure}; any other failure as it is.
     */
    IOException failure(IOException failure) {
      if (!chain.call().isCanceled()) {
        return failure;
      }
      if (timedOut()) {
        InterruptedIOException timeout = new InterruptedIOException("timeout");
        timeout.initCause(failure);
        return timeout;
      }
      return "Canceled".equals(failure.getMessage())
          ? failure
          : new IOException("Canceled", failure);
    }
  }

  /**
   * The application's request as one attempt sends it: without the gateway's headers, to the plan's
   * URL (else the application's), with its headers and body (else the application's bytes, or no
   * body when it had none). The headers the plan sets are named in a {@link BackendHeaders} tag, so
   * that a redirect to another origin does not carry them. When the attempt changes nothing (no
   * gateway header to remove, nothing in the plan, a body that may be written again), it is the
   * application's own request object: OkHttp then sends what it would have sent without the
   * gateway, and no copy is built.
   */
  private Request attempt(Request request, RequestBody body, byte[] bytes, AttemptPlan plan) {
    boolean ownBody = plan.body() == null && (body == null || rewritable(body, bytes));
    boolean planChanges =
        plan.url() != null || !plan.removeHeaders().isEmpty() || !plan.setHeaders().isEmpty();
    if (ownBody && !planChanges && !hasGatewayHeader(request)) {
      return request;
    }
    Request.Builder builder = withoutGatewayHeaders(request);
    HttpUrl url = request.url();
    if (plan.url() != null) {
      url = HttpUrl.get(plan.url());
      builder.url(url);
    }
    if (!plan.removeHeaders().isEmpty()) {
      for (String header : plan.removeHeaders()) {
        builder.removeHeader(header);
      }
    }
    if (!plan.setHeaders().isEmpty()) {
      plan.setHeaders().forEach(builder::header);
      // kept on a redirect's request: one to another origin goes without them (BackendHeaders)
      builder.tag(BackendHeaders.class, new BackendHeaders(url, plan.setHeaders().keySet()));
    }
    if (ownBody) {
      return builder.build(); // the application's body (or none), as newBuilder() copied it
    }
    return withBody(builder, request, body, plan.body() != null ? plan.body() : bytes);
  }

  /**
   * Whether the application's body may be sent as it is instead of the bytes the gateway read from
   * it: OkHttp may write it again (not one-shot; a duplex body is never read), and it announces the
   * length that was read, so that the same headers and bytes go out as with a copy of the bytes. A
   * body whose length cannot be told (its {@code contentLength()} throws) is sent as the bytes
   * read, as it always was.
   */
  private static boolean rewritable(RequestBody body, byte[] bytes) {
    try {
      return !body.isOneShot() && body.contentLength() == bytes.length;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Whether the request carries a header that addresses only the gateway. */
  private boolean hasGatewayHeader(Request request) {
    for (String header : gatewayHeaders) {
      if (request.header(header) != null) {
        return true;
      }
    }
    return false;
  }

  /** The application's request minus the headers that address only the gateway. */
  private Request.Builder withoutGatewayHeaders(Request request) {
    Request.Builder builder = request.newBuilder();
    for (String header : gatewayHeaders) {
      builder.removeHeader(header);
    }
    return builder;
  }

  /** The app's body may be one-shot and was read already: send its bytes (or a rewrite). */
  private static Request withBody(
      Request.Builder builder, Request request, RequestBody body, byte[] send) {
    builder.method(
        request.method(), RequestBody.create(send, body != null ? body.contentType() : JSON));
    return builder.build();
  }

  /** The backend's response as the application gets it: observed body, gateway headers. */
  private static Response delivered(
      GovernedCall call, AttemptLoop.Answer<Response> answer, Admission admission, Sender sender) {
    Response response = answer.response();
    InputStream observed = answer.body();
    if (observed == null && admission.responseHeaders().isEmpty()) {
      return response;
    }
    Response.Builder builder = response.newBuilder();
    if (!admission.responseHeaders().isEmpty()) {
      admission.responseHeaders().forEach(builder::header);
    }
    if (observed != null) {
      // A body translated from another protocol has its own type and length; hidden usage
      // chunks change a stream's length; a withheld answer is the gateway's own.
      String translatedType = answer.contentType();
      boolean ownLength = call.eventStream() || call.answerReplaced() || translatedType != null;
      long length = ownLength ? -1 : response.body().contentLength();
      if (ownLength) {
        builder.removeHeader("Content-Length");
      }
      if (translatedType != null) {
        builder.header("Content-Type", translatedType);
      }
      builder.body(
          new GovernedBody(
              new ObservedSource(observed, response.body().source().timeout()),
              mediaType(translatedType != null ? translatedType : sender.contentType(response)),
              length));
    }
    return builder.build();
  }

  /**
   * The parsed media type of a Content-Type value, or null. Backends answer with a handful of
   * values, so the parses are kept (up to {@link #KNOWN_MEDIA_TYPES_MAX}) instead of repeated.
   */
  private static @Nullable MediaType mediaType(@Nullable String contentType) {
    if (contentType == null) {
      return null;
    }
    Optional<MediaType> known = KNOWN_MEDIA_TYPES.get(contentType);
    if (known == null) {
      known = Optional.ofNullable(MediaType.parse(contentType));
      if (KNOWN_MEDIA_TYPES.size() < KNOWN_MEDIA_TYPES_MAX) {
        KNOWN_MEDIA_TYPES.putIfAbsent(contentType, known);
      }
    }
    return known.orElse(null);
  }

  private static Response synthetic(Request request, Rejection rejection) {
    MediaType type = mediaType(rejection.contentType()); // the wire format's, parsed once
    return local(
        request,
        rejection.status(),
        reasonPhrase(rejection.status()),
        rejection.body(),
        type != null ? type : JSON,
        rejection.headers());
  }

  /** The cache's answer, as the backend would have given it: 200, the body, its type. */
  private static Response cached(Request request, Admission admission) {
    Admission.CachedAnswer answer = admission.cachedAnswer();
    return local(
        request,
        200,
        "OK",
        answer.body(),
        MediaType.get(answer.contentType()),
        admission.responseHeaders());
  }

  /** A response the gateway gives itself, without any backend. */
  private static Response local(
      Request request,
      int status,
      String message,
      byte[] body,
      MediaType type,
      java.util.Map<String, String> headers) {
    long now = System.currentTimeMillis();
    Response.Builder builder =
        new Response.Builder()
            .request(request)
            .protocol(Protocol.HTTP_1_1)
            .code(status)
            .message(message)
            .sentRequestAtMillis(now)
            .receivedResponseAtMillis(now)
            .body(ResponseBody.create(body, type));
    builder.header("Content-Type", type.toString());
    headers.forEach(builder::header);
    return builder.build();
  }

  private static String reasonPhrase(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 429 -> "Too Many Requests";
      case 503 -> "Service Unavailable";
      default -> "Rejected";
    };
  }
}
