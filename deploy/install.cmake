# Install layout and the Debian package (included by CMakeLists.txt).
#
#   PREFIX/bin/sikiliza
#   PREFIX/lib/systemd/system/sikiliza.service   the unit, ExecStart filled in
#   PREFIX/share/sikiliza/flows/*.json            the example flows
#   PREFIX/share/sikiliza/install-service         user, directories, keys
#   PREFIX/share/doc/sikiliza/examples/           sikiliza.conf.example,
#                                                 kannel.conf
#   PREFIX/share/doc/sikiliza/README.md, copyright
#
# Nothing goes to /etc: deploy/install-service (or the package's postinst)
# writes /etc/sikiliza/sikiliza.conf from the example with these paths.

set(SK_DEPLOY ${PROJECT_SOURCE_DIR}/deploy)

install(FILES ${PROJECT_SOURCE_DIR}/flows/examples/referral.json
    ${PROJECT_SOURCE_DIR}/flows/examples/wellbeing_check.json
    ${PROJECT_SOURCE_DIR}/flows/examples/wellbeing_check_voice.json
    DESTINATION ${CMAKE_INSTALL_DATADIR}/sikiliza/flows)
install(PROGRAMS ${SK_DEPLOY}/install-service
    DESTINATION ${CMAKE_INSTALL_DATADIR}/sikiliza)
install(FILES ${SK_DEPLOY}/sikiliza.conf.example ${SK_DEPLOY}/kannel.conf
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/sikiliza/examples)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/sikiliza)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/sikiliza RENAME copyright)

# The unit names the binary by its full path, which is known only at
# install time (`cmake --install --prefix` and CPack change the prefix).
install(CODE "
    set(sk_prefix \"\${CMAKE_INSTALL_PREFIX}\")
    file(READ \"${SK_DEPLOY}/sikiliza.service.in\" sk_unit)
    string(REPLACE \"@SK_BINDIR@\" \"\${sk_prefix}/${CMAKE_INSTALL_BINDIR}\"
        sk_unit \"\${sk_unit}\")
    string(REPLACE \"@SK_DOCDIR@\"
        \"\${sk_prefix}/${CMAKE_INSTALL_DATADIR}/doc/sikiliza\"
        sk_unit \"\${sk_unit}\")
    file(WRITE \"${CMAKE_CURRENT_BINARY_DIR}/sikiliza.service\" \"\${sk_unit}\")
    file(INSTALL \"${CMAKE_CURRENT_BINARY_DIR}/sikiliza.service\"
        DESTINATION \"\${sk_prefix}/lib/systemd/system\"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
")

# `cmake --build BUILD --target package` (or deploy/build-deb) makes
# BUILD/sikiliza_VERSION_ARCH.deb.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sikiliza)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Sikiliza maintainers <sikiliza@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "SMS, USSD and voice survey gateway for children")
set(CPACK_PACKAGE_DESCRIPTION "Runs goflow-style surveys over SMS, USSD \
and voice calls, with privacy and safeguarding built in. Installs a systemd \
unit; the postinst creates the sikiliza user, /etc/sikiliza and \
/var/lib/sikiliza.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, coreutils")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "pocketsphinx-en-us")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kannel")
find_program(SK_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SK_DPKG_SHLIBDEPS)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
    message(STATUS "No dpkg-shlibdeps: the .deb will not list its libraries")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SK_DEPLOY}/debian/postinst ${SK_DEPLOY}/debian/prerm
    ${SK_DEPLOY}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
