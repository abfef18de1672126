// smssaudit-imaged: the disk-image service. smssaudit never links The Sleuth Kit; it starts this
// helper (one process per opened image) and reads the image through it (proto/protocol.hpp).
// Two reasons:
//  - Isolation (issue 7): a crash or hang inside libtsk, libewf, libvmdk or libvhdi on a hostile
//    image kills only the helper. The client reports the read that was lost, starts a new helper
//    for what remains, and the scan keeps every other result.
//  - E01 at all: libewf (behind libtsk) bundles and exports its own libbfio, libcdata and libuna,
//    as libregf and libevtx do. In one process the dynamic linker binds each such symbol to one
//    copy, and one side breaks whatever the link order (observed: libewf crashed in
//    libbfio_pool_free; with libewf first, libevtx could no longer render XML). In a process of
//    its own libewf has its own copies.
//
// Fault injection for tests (documented in the README; never set in production): when
// SMSSAUDIT_FAULT_IMAGED_CRASH names a substring of a file's NTFS path, opening that file raises
// SIGSEGV in the service; SMSSAUDIT_FAULT_IMAGED_HANG does the same with an endless sleep.
#pragma once

namespace smssaudit::readers::image {

/// Serves requests on `fd` until the client closes it. Returns the process exit code.
int serve_image_requests(int fd);

}  // namespace smssaudit::readers::image
