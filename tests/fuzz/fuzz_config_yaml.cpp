// The YAML configuration file (qpush::parseConfigYaml, the parser behind
// --config / config.yaml). Input: the file's text. A document must either
// give a ConfigError with exit code 2 and a message, or a resolved Config
// (store never empty, a Redis address whenever the store is Redis) whose
// key listing covers every key.
#include "fuzzcheck.h"

#include "app/config.h"

using namespace qpush;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ConfigResult result =
        parseConfigYaml(fuzz::bytes(data, size), QStringLiteral("fuzz.yaml"));
    if (const auto *error = std::get_if<ConfigError>(&result)) {
        FUZZ_CHECK(error->exitCode == 2);
        FUZZ_CHECK(!error->message.isEmpty());
        return 0;
    }
    const Config &config = std::get<Config>(result);
    FUZZ_CHECK(!config.store.isEmpty());
    FUZZ_CHECK(!config.usesRedisStore() || !config.redis_address.isEmpty());
    FUZZ_CHECK(config.push_message_expire <= config.push_message_max_expire);
    FUZZ_CHECK(configToVariantMap(config).size() == configKeys().size());
    return 0;
}
