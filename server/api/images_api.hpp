// /v1/images: the local runtime's image store over HTTP (docs/api.md). List, get, delete and
// prune answer at once (on a worker thread, as every call); a pull streams its progress as
// NDJSON, one event per line, ending with the image or the error.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/router.hpp"
#include "common/http/exchange.hpp"
#include "images/image_store.hpp"

namespace hive::server {

// ListImages, GetImage, DeleteImage, PruneImages. `images` is null on a runtime without a
// store (kubernetes: the kubelet pulls), which answers each with a clear 400.
http::Response images_dispatch(const http::Request& request, const Route& r,
                               images::ImageStore* images);

// POST /v1/images/pull?image=REF: the pull runs on a worker; its events are written as they come.
boost::asio::awaitable<bool> serve_pull(http::Exchange& exchange, const Route& r,
                                        images::ImageStore* images,
                                        boost::asio::thread_pool& workers);

// POST /v1/images/load[?tag=REF]: the body (a docker save tar or an OCI archive) goes to a
// file under the store, is loaded on a worker, and the images loaded are the answer.
boost::asio::awaitable<bool> serve_load(http::Exchange& exchange, const Route& r,
                                        images::ImageStore* images,
                                        boost::asio::thread_pool& workers);

Error images_unavailable();

}  // namespace hive::server
