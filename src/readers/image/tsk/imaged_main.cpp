// smssaudit-imaged: the disk-image service smssaudit starts for each image it reads (see
// service.hpp). Not meant to be run by hand: it serves the protocol on fd 3.
#include "readers/image/proto/protocol.hpp"
#include "readers/image/tsk/service.hpp"

#include <cstdio>
#include <cstring>
#include <fcntl.h>

int main(int argc, char** /*argv*/) {
  if (argc != 1 || fcntl(smssaudit::readers::image::proto::kServiceFd, F_GETFD) < 0) {
    (void)std::fputs(
        "smssaudit-imaged: the disk-image service of smssaudit, started by smssaudit itself;\n"
        "it serves requests on file descriptor 3 and is not meant to be run by hand.\n",
        stderr);
    return 2;
  }
  return smssaudit::readers::image::serve_image_requests(
      smssaudit::readers::image::proto::kServiceFd);
}
