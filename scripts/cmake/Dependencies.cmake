# Every dependency is a Debian package (scripts/setup installs them). libyal libraries ship .pc files.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBREGF REQUIRED IMPORTED_TARGET libregf)
pkg_check_modules(LIBBFIO REQUIRED IMPORTED_TARGET libbfio)
pkg_check_modules(LIBEVTX REQUIRED IMPORTED_TARGET libevtx)
# CRC-32 with carry-less multiply for the EVTX checksums (issue 8).
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)
find_package(pugixml REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)
# Disk images (issue 4): The Sleuth Kit reads raw/split/E01/VMDK/VHD, MBR/GPT and NTFS; libtsk19 on
# Debian is built with libewf, libvmdk and libvhdi. libntfs-3g is used only by the fixture tool
# that places files in the test NTFS volumes (src/devtools/image).
pkg_check_modules(TSK REQUIRED IMPORTED_TARGET tsk)
pkg_check_modules(LIBNTFS3G IMPORTED_TARGET libntfs-3g)
