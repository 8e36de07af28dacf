import ServiceLifecycle
import TaskTools

/// Runs ``TaskService/runResultPrefetch()`` beside the server: settled results that status reads
/// come across are read, stored and cached before their first page is asked for.
struct ResultPrefetchService: Service {
    let service: TaskService

    func run() async throws {
        await cancelWhenGracefulShutdown { await service.runResultPrefetch() }
    }
}
