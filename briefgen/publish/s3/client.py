"""The S3 API as briefgen uses it, through boto3: credentials, region and endpoint the AWS way, every
request counted, and every failure turned into one located line (no traceback).

boto3 is the ``s3`` extra (``pip install 'briefgen[s3]'``): the reference client, which reads the
standard environment (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
``AWS_PROFILE``, ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``) and ``~/.aws/config`` and ``credentials``,
signs requests for S3-compatible services (R2, MinIO, Backblaze, GCS) alike, and retries what is worth
retrying.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from briefgen.publish.plan import PublishError

WORKERS = 16  # concurrent requests (the AWS CLI uses 10)
CREDENTIALS_REFUSED = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthorizationHeaderMalformed",
}


class S3:
    """One bucket: a boto3 client with a request counter, and the failures it can meet as PublishErrors."""

    def __init__(self, bucket: str, endpoint_url: str | None):
        try:
            import boto3
            import botocore.config
        except ImportError:
            raise PublishError(
                "publishing to S3 needs boto3, which is not installed", "pip install 'briefgen[s3]'"
            ) from None
        self.bucket = bucket
        self.endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        try:
            session = boto3.session.Session()
        except Exception as exc:  # botocore.exceptions.ProfileNotFound and the like
            raise self.error(exc, "AWS configuration") from None
        self.session = session
        config = botocore.config.Config(
            max_pool_connections=WORKERS,
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=10,
            read_timeout=60,
            s3={"addressing_style": "path" if self.endpoint else "auto"},
        )
        try:
            self.client = session.client(
                "s3", endpoint_url=self.endpoint, region_name=session.region_name or "us-east-1", config=config
            )
        except ValueError as exc:  # botocore: "Invalid endpoint: ..."
            raise PublishError(f"{self.endpoint}: {exc}", "give --endpoint-url as https://host[:port]") from None
        except Exception as exc:
            raise self.error(exc, "AWS configuration") from None
        self.requests = 0  # HTTP requests sent, retries included
        self.calls: Counter[str] = Counter()  # API calls by operation
        self._lock = threading.Lock()
        self.watch(self.client)

    def watch(self, client) -> None:
        client.meta.events.register("before-send", self._count)
        client.meta.events.register("before-call", self._call)

    def _count(self, **_kwargs) -> None:
        with self._lock:
            self.requests += 1

    def _call(self, event_name: str = "", **_kwargs) -> None:
        with self._lock:
            self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def where(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{key}"

    def error(self, exc: Exception, where: str) -> PublishError:
        """One located line for whatever boto3 raised."""
        from botocore import exceptions as bce

        if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
            return PublishError(
                f"{where}: no AWS credentials found",
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials",
            )
        if isinstance(exc, bce.ProfileNotFound):
            return PublishError(f"{where}: {exc}", "check AWS_PROFILE and ~/.aws/config")
        if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectionClosedError, bce.ConnectTimeoutError)):
            endpoint = self.endpoint or "the AWS endpoint"
            return PublishError(
                f"{where}: cannot reach {endpoint} (connection refused or no network)",
                "check the network, --endpoint-url or AWS_ENDPOINT_URL",
            )
        if isinstance(exc, bce.ClientError):
            return self._client_error(exc, where)
        if isinstance(exc, bce.BotoCoreError):
            return PublishError(f"{where}: {exc}")
        raise exc

    def _client_error(self, exc, where: str) -> PublishError:
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return PublishError(
                f"{self.where()}: the bucket does not exist", "create it first, or check the name and --endpoint-url"
            )
        if code in CREDENTIALS_REFUSED:
            return PublishError(
                f"{where}: the credentials were refused ({code})",
                "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, and --endpoint-url",
            )
        if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
            return PublishError(f"{where}: access denied", "the credentials may not read, write or delete this object")
        message = err.get("Message") or exc
        return PublishError(f"{where}: {code or status}: {message}")

    # --- requests -----------------------------------------------------------

    def call(self, where: str, method: str, **kwargs):
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except Exception as exc:
            raise self.error(exc, where) from None

    def list(self, prefix: str) -> dict[str, tuple[str, int]]:
        """key (without the prefix) -> (ETag, size) of every object under ``prefix``, page by page."""
        out = {}
        token = None
        while True:
            args = {"Prefix": prefix, **({"ContinuationToken": token} if token else {})}
            page = self.call(self.where(prefix), "list_objects_v2", **args)
            for obj in page.get("Contents", []):
                out[obj["Key"][len(prefix) :]] = (obj.get("ETag", ""), obj.get("Size", -1))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return out

    def get(self, key: str) -> tuple[bytes, dict[str, str]]:
        reply = self.call(self.where(key), "get_object", Key=key)
        try:
            return reply["Body"].read(), reply.get("Metadata", {})
        except Exception as exc:
            raise self.error(exc, self.where(key)) from None

    def heads(self, keys: list[str]) -> dict[str, dict[str, str]]:
        """key -> user metadata of each object, in parallel."""
        return self.each(keys, lambda key: self.call(self.where(key), "head_object", Key=key).get("Metadata", {}))

    def each(self, items, work) -> dict:
        """{item: work(item)} for every item, on WORKERS threads. The first error (or Ctrl-C) stops it: nothing
        else starts, and the error is raised once the requests under way have ended."""
        if not items:
            return {}
        pool = ThreadPoolExecutor(WORKERS)
        try:
            futures = {pool.submit(work, item): item for item in items}
            wait(futures, return_when=FIRST_EXCEPTION)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for future in futures:
            if not future.cancelled() and future.exception() is not None:
                raise future.exception()
        return {item: future.result() for future, item in futures.items()}
